import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  Command,
  FeedConsumersJob,
  FeedConsumersResult,
  Job,
  LoadJob,
  LoadResult,
  Report,
  RevocationJob,
  RevocationResult,
} from './jobs';

const ROOT = resolve(__dirname, '../..');
let jobNumber = 0;

/**
 * One bench/driver.ts process, commanded over its IPC channel; `R` is what its job reports at the
 * end (a load's LoadResult, or the feed consumers' FeedConsumersResult).
 */
export class DriverProcess<R = LoadResult> {
  private readonly reports: Report[] = [];
  private waiting: ((report: Report) => void) | null = null;
  private exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (report: Report) => {
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = null;
        resolve(report);
      } else {
        this.reports.push(report);
      }
    });
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  /** Starts a driver for `job` and waits until it is ready (connected, hashed, and so on). */
  static start(
    name: string,
    job: LoadJob,
    workDir: string,
    env?: Record<string, string>,
  ): Promise<DriverProcess>;
  static start(
    name: string,
    job: FeedConsumersJob,
    workDir: string,
  ): Promise<DriverProcess<FeedConsumersResult>>;
  static async start(
    name: string,
    job: LoadJob | FeedConsumersJob,
    workDir: string,
    env: Record<string, string> = {},
  ): Promise<DriverProcess<LoadResult | FeedConsumersResult>> {
    const driver = new DriverProcess<LoadResult | FeedConsumersResult>(
      name,
      spawnDriver(job, workDir, env),
    );
    await driver.expect('ready');
    return driver;
  }

  /** Runs the scenario for `seconds`; resolves with how many operations succeeded. */
  async run(seconds: number, measure: boolean): Promise<number> {
    this.send({ type: 'run', seconds, measure });
    const report = await this.expect('ran');
    return report.type === 'ran' ? report.ok : 0;
  }

  /** Feed consumers: opens their streams; resolves with how many the service answered with 200. */
  async open(): Promise<number> {
    this.send({ type: 'open' });
    const report = await this.expect('opened');
    return report.type === 'opened' ? report.streams : 0;
  }

  /** Feed consumers: closes their streams. */
  async close(): Promise<void> {
    this.send({ type: 'close' });
    await this.expect('closed');
  }

  /** The sum of the measured slices (or what the consumers saw); the driver then exits. */
  async finish(): Promise<R> {
    this.send({ type: 'finish' });
    const report = await this.expect('result');
    await this.exited;
    return (report as Extract<Report, { type: 'result' }>).result as R;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  private send(command: Command): void {
    this.child.send(command);
  }

  private async expect(type: Report['type']): Promise<Report> {
    const report =
      this.reports.shift() ??
      (await Promise.race([
        new Promise<Report>((resolve) => (this.waiting = resolve)),
        this.exited.then(async (code): Promise<never> => {
          // Whatever it sent before its channel closed still counts: wait for the channel.
          if (this.child.connected) await once(this.child, 'disconnect');
          await new Promise((resolve) => setImmediate(resolve));
          throw new Error(`The ${this.name} driver exited (${code}) while the bench waited`);
        }),
      ]));
    if (report.type !== type) throw new Error(`${this.name}: expected ${type}, got ${report.type}`);
    return report;
  }
}

/** Runs a one-shot job (revocation) in a driver process and returns its result. */
export async function runOnce(job: RevocationJob, workDir: string): Promise<RevocationResult> {
  const child = spawnDriver(job, workDir, {});
  const result = new Promise<RevocationResult>((resolve, reject) => {
    child.once('message', (report: Report) => {
      if (report.type === 'result') resolve(report.result as RevocationResult);
    });
    child.once('exit', (code) => reject(new Error(`The revocation driver exited (${code})`)));
  });
  return result;
}

function spawnDriver(job: Job, workDir: string, env: Record<string, string>): ChildProcess {
  const jobFile = join(workDir, `job-${++jobNumber}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  return spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(ROOT, 'bench/driver.ts'), jobFile],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
}
