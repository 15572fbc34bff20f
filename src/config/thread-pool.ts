import { availableParallelism } from 'node:os';

/** libuv's thread pool size when UV_THREADPOOL_SIZE is not set: one thread per CPU, at least 2. */
export function defaultThreadPoolSize(): number {
  return Math.max(2, availableParallelism());
}

/**
 * Sizes libuv's thread pool to the CPUs unless UV_THREADPOOL_SIZE says otherwise. Its one heavy
 * user here is argon2id (19 MiB and about 20 ms of CPU per hash): more threads than CPUs add no
 * throughput, but each thread keeps a malloc arena holding a freed 19 MiB block (glibc), so libuv's
 * default of 4 on a 2-CPU machine cost about 40 MB of resident memory after the first sign-ins,
 * for the same logins per second (measured by `npm run bench`). libuv reads the variable when the
 * pool first starts: call this before anything uses it.
 */
export function sizeThreadPool(env: Record<string, string | undefined> = process.env): void {
  if (!env.UV_THREADPOOL_SIZE) env.UV_THREADPOOL_SIZE = String(defaultThreadPoolSize());
}
