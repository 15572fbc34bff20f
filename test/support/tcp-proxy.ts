import { createServer, Socket } from 'node:net';

/**
 * How an outage looks to the client:
 * - `refuse`: every open connection is reset and new ones are refused (the server is down);
 * - `blackhole`: connections stay open but no byte passes, and new ones hang (a network partition).
 */
export type OutageMode = 'refuse' | 'blackhole';

/**
 * A TCP proxy on 127.0.0.1 in front of one target, to take a dependency (PostgreSQL, Redis) away
 * from a running service and give it back, without touching the dependency itself.
 *
 *     const proxy = await TcpProxy.start('127.0.0.1', 5432);
 *     const app = await createTestApp({ databaseUrl: proxy.rewrite(databaseUrl) });
 *     await proxy.cut();      // the database is gone
 *     await proxy.restore();  // and back
 */
export class TcpProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly held = new Set<Socket>();
  private readonly stranded = new Set<Socket>();
  private outage: OutageMode | null = null;
  private server = createServer();
  private boundPort = 0;

  private constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  /** Listens on a free port of 127.0.0.1 (or `port`) and forwards every connection to the target. */
  static async start(targetHost: string, targetPort: number, port = 0): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    await proxy.listen(port);
    return proxy;
  }

  /** The port the proxy listens on, on 127.0.0.1; the same after a restore. */
  get port(): number {
    return this.boundPort;
  }

  /** A proxy in front of the host and port of a URL such as a DATABASE_URL. */
  static forUrl(url: string): Promise<TcpProxy> {
    const parsed = new URL(url);
    const defaults: Record<string, number> = {
      'postgres:': 5432,
      'postgresql:': 5432,
      'redis:': 6379,
    };
    return TcpProxy.start(
      parsed.hostname,
      parsed.port ? Number(parsed.port) : (defaults[parsed.protocol] ?? 0),
    );
  }

  /** The same URL, pointing at this proxy instead of the target. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** How many client connections pass through now. */
  get connections(): number {
    return this.pairs.size + this.held.size;
  }

  /** Takes the target away: see OutageMode. */
  async cut(mode: OutageMode = 'refuse'): Promise<void> {
    if (this.outage) return;
    this.outage = mode;
    if (mode === 'refuse') {
      this.destroyAll();
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    } else {
      for (const [client, upstream] of this.pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    }
  }

  /**
   * Leaves every open connection half-open for good, as a failover does: no byte passes either way
   * and neither end hears a word, while new connections reach the target as usual.
   */
  strand(): void {
    for (const pair of this.pairs) {
      const [client, upstream] = pair;
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      upstream.removeAllListeners('close');
      client.removeAllListeners('close');
      this.stranded.add(client).add(upstream);
    }
    this.pairs.clear();
  }

  /**
   * Gives the target back: new connections pass again. Connections that lived through a blackhole
   * lost bytes on the way, so they are closed, as a real partition ends them.
   */
  async restore(): Promise<void> {
    const mode = this.outage;
    if (!mode) return;
    this.outage = null;
    if (mode === 'refuse') {
      this.server = createServer();
      await this.listen(this.port);
    } else {
      this.destroyAll();
    }
  }

  async close(): Promise<void> {
    this.destroyAll();
    if (this.server.listening)
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private listen(port: number): Promise<void> {
    const server = this.server;
    server.on('connection', (client) => this.accept(client));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        this.boundPort = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    client.on('error', () => client.destroy());
    if (this.outage === 'blackhole') {
      this.held.add(client);
      client.once('close', () => this.held.delete(client));
      client.pause();
      return;
    }
    const upstream = new Socket();
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', end);
    upstream.on('close', end);
    client.on('close', end);
    upstream.connect(this.targetPort, this.targetHost, () => {
      if (this.outage) return;
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  private destroyAll(): void {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    for (const socket of [...this.held, ...this.stranded]) socket.destroy();
    this.pairs.clear();
    this.held.clear();
    this.stranded.clear();
  }
}
