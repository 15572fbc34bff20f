import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const MAIN = resolve(__dirname, '../../dist/main.js');
/** The bench's resource server (bench/resource-server-app.ts), run through ts-node as the bench is. */
export const RESOURCE_SERVER = [
  '-r',
  'ts-node/register/transpile-only',
  resolve(__dirname, '../resource-server-app.ts'),
];
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 40_000;

/**
 * The built service (`node dist/main.js`), or another server of the bench's such as its resource
 * server, in a process of its own on 127.0.0.1.
 */
export class ServiceProcess {
  private readonly output: string[] = [];
  private exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        this.output.push(...chunk.split('\n').filter(Boolean));
        if (this.output.length > 200) this.output.splice(0, this.output.length - 200);
      });
    }
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  /**
   * Starts the service (or the script `entry` names, after the node options) and resolves once it
   * serves: it sends 'ready' over the IPC channel (in a cluster, once every worker listens),
   * whatever the log level.
   */
  static async start(
    name: string,
    env: Record<string, string>,
    nodeOptions: string[] = [],
    entry: string[] = [MAIN],
  ): Promise<ServiceProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [...nodeOptions, ...entry], {
      env: { ...passedThrough(), ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const service = new ServiceProcess(name, `http://127.0.0.1:${port}`, child);
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(
        () => fail(service.failure('did not start in time')),
        START_TIMEOUT_MS,
      );
      child.on('message', (message) => {
        if (message !== 'ready') return;
        clearTimeout(timer);
        ready();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(service.failure(`exited with ${code} while starting`));
      });
    });
    child.removeAllListeners('exit');
    service.exited = new Promise((done) => {
      if (child.exitCode !== null) done(child.exitCode);
      else child.once('exit', (code) => done(code));
    });
    return service;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** This process and its workers (not the embedded database, which the bench runs itself). */
  processes(): number[] {
    return [this.pid, ...childrenOf(this.pid)];
  }

  /** Resident memory of the service: its process plus its workers, in MB. */
  rssMb(): number {
    return this.processes().reduce((sum, pid) => sum + rssKb(pid), 0) / 1024;
  }

  /** CPU seconds used so far by the service's processes. */
  cpuSeconds(): number {
    return this.processes().reduce((sum, pid) => sum + cpuTicks(pid), 0) / CLOCK_TICKS;
  }

  /** SIGTERM, then the exit code (a clean stop is 0). */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** The last lines the service wrote, for a failure message. */
  failure(what: string): Error {
    return new Error(`${this.name} ${what}:\n${this.output.slice(-40).join('\n')}`);
  }
}

const CLOCK_TICKS = 100;

/** The bench's own environment the service sees: the basics, and malloc tuning if set. */
function passedThrough(): Record<string, string> {
  const names = ['PATH', 'HOME', 'GLIBC_TUNABLES', 'MALLOC_ARENA_MAX'];
  return Object.fromEntries(
    names.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])),
  );
}

function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && Number(stat[1]) === parent) children.push(Number(entry));
  }
  return children;
}

/** /proc/<pid>/stat fields after the command name: [state, ppid, …]; null once gone. */
function readStat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function cpuTicks(pid: number): number {
  const stat = readStat(pid);
  // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the command name.
  return stat ? Number(stat[11]) + Number(stat[12]) : 0;
}

/**
 * CPU seconds used so far by a PostgreSQL server: its postmaster (including the backends it has
 * reaped) and the backends alive now. For the embedded database, whose folder the bench knows.
 */
export function postgresCpuSeconds(dataDirectory: string): number {
  let postmaster: number;
  try {
    postmaster = Number(readFileSync(`${dataDirectory}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    return NaN;
  }
  const stat = readStat(postmaster);
  if (!stat) return NaN;
  // cutime and cstime (fields 16 and 17): children that have exited and been waited for.
  const reaped = Number(stat[13]) + Number(stat[14]);
  const live = [postmaster, ...childrenOf(postmaster)].reduce((sum, pid) => sum + cpuTicks(pid), 0);
  return (reaped + live) / CLOCK_TICKS;
}

export function rssKb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}
