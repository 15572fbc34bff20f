import { Logger } from '@nestjs/common';
import cluster, { Worker } from 'node:cluster';
import { AppConfig } from './config/app-config';
import { EmbeddedPostgres } from './database/embedded-postgres';
import { closeManagementServer } from './management/management-server';
import { startClusterManagement } from './management/management';

/** Longer than a worker's own drain deadline (25 s), so that workers normally end themselves. */
const SHUTDOWN_DEADLINE_MS = 30_000;
const RESTART_DELAY_MS = 1_000;

/**
 * `WEB_CONCURRENCY` > 1: this process serves nothing itself. It starts the embedded database once
 * (when there is no DATABASE_URL) and hands its URL to the workers, which share one port; the first
 * worker runs the migrations before the others start. A worker that dies after it was serving is
 * replaced; one that cannot start stops the whole cluster. SIGTERM or SIGINT stops every worker
 * (each drains its requests in flight), then the database. With MANAGEMENT_PORT, this process
 * serves it for the whole cluster.
 */
export async function runPrimary(config: AppConfig): Promise<void> {
  const logger = new Logger('Cluster');
  // Before the database: a port already taken stops the start with nothing left to clean up.
  const management =
    config.managementPort === null
      ? null
      : await startClusterManagement(config.host, config.managementPort);
  const embedded = config.databaseUrl ? null : await EmbeddedPostgres.start(config.dataDir);
  const databaseUrl = config.databaseUrl ?? embedded!.url;
  const size = config.webConcurrency;
  if (!config.redisUrl) {
    // Each worker counts in its own memory, and connections are spread across the workers.
    logger.warn({
      msg: `AUTH_RATE_LIMIT is counted per worker without REDIS_URL: a client may make up to ${size} times the limit; set REDIS_URL to share the counts`,
      workers: size,
    });
  }

  const live = new Set<Worker>();
  const served = new Set<number>();
  const restarts = new Set<NodeJS.Timeout>();
  let announced = false;
  let stopping = false;
  let failed = false;
  let allExited: (() => void) | null = null;

  const fork = (runMigrations: boolean): void => {
    const env: Record<string, string> = { DATABASE_URL: databaseUrl };
    if (!runMigrations) env.MIGRATIONS_RUN = 'false';
    live.add(cluster.fork(env));
  };

  const stop = async (reason: string, exitCode: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log(`${reason}: stopping ${live.size} worker(s), then the database`);
    for (const timer of restarts) clearTimeout(timer);
    const deadline = setTimeout(() => {
      logger.error('Workers did not stop in time: killing them');
      for (const worker of live) worker.process.kill('SIGKILL');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    const exited = new Promise<void>((resolve) => (allExited = resolve));
    for (const worker of live) worker.process.kill('SIGTERM');
    await closeManagementServer(management);
    if (live.size > 0) await exited;
    try {
      await embedded?.stop();
    } catch (error) {
      logger.error({ msg: 'The embedded database did not stop cleanly', err: String(error) });
      failed = true;
    }
    clearTimeout(deadline);
    process.exit(failed ? 1 : exitCode);
  };

  cluster.on('listening', (worker, address) => {
    const first = served.size === 0;
    served.add(worker.id);
    if (first && !stopping) for (let i = 1; i < size; i++) fork(false);
    if (!announced && served.size >= size) {
      announced = true;
      logger.log({
        msg:
          `Listening on ${config.host}:${address.port} with ${size} workers` +
          (config.docsEnabled ? ', docs at /docs' : ''),
        port: address.port,
        workers: size,
        publicUrl: config.publicUrl,
      });
      // A parent with an IPC channel (pm2 `wait_ready`, the bench) learns that the cluster serves.
      process.send?.('ready');
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker);
    if (stopping) {
      if (code !== 0 && signal !== 'SIGTERM') failed = true;
      if (live.size === 0) allExited?.();
      return;
    }
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!served.has(worker.id)) {
      logger.fatal(`Worker ${worker.id} could not start (${how})`);
      failed = true;
      void stop('A worker failed to start', 1);
      return;
    }
    logger.error(`Worker ${worker.id} exited (${how}): starting a replacement`);
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork(false);
    }, RESTART_DELAY_MS);
    restarts.add(timer);
  });

  process.once('SIGTERM', (signal) => void stop(`${signal} received`, 0));
  process.once('SIGINT', (signal) => void stop(`${signal} received`, 0));
  fork(config.migrationsRun);
}
