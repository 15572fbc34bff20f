import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { normaliseResourceServerOptions } from './resource-server-options';
import { RevocationFeed, RevocationFeedTiming } from './revocation-feed';
import { RevocationFeedStatus } from './revocation-feed-status';
import { RevokedTokens } from './revoked-tokens';

const TOKEN = 'feed-token-0123456789-0123456789-0123456789';
const SID = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'];
const inAMinute = () => new Date(Date.now() + 60_000).toISOString();

interface FeedEvent {
  id: string;
  type: 'revoked' | 'revoked-all';
  data: Record<string, string>;
}

/**
 * The service's feed as its wire format has it (JSON and SSE), over real HTTP: what the client
 * asked is recorded, what it gets is up to each test.
 */
class StubFeed {
  readonly events: FeedEvent[] = [];
  readonly requests: {
    accept: string;
    after: string | null;
    lastEventId: string | null;
    at: number;
  }[] = [];
  readonly streams = new Set<ServerResponse>();
  /** Set to answer every request with this status instead. */
  refuseWith: number | null = null;
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((request, response) => this.answer(request, response));
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/auth/revocations`;
  }

  /** A new event: stored, and sent to every open stream. */
  publish(type: FeedEvent['type'], data: Record<string, string>): FeedEvent {
    const event = { id: String(this.events.length + 1), type, data };
    this.events.push(event);
    for (const stream of this.streams) stream.write(sse(event));
    return event;
  }

  /** Drops every open stream, as a restarted service or a cut connection does. */
  drop(): void {
    for (const stream of this.streams) stream.socket?.destroy();
    this.streams.clear();
  }

  async stop(): Promise<void> {
    this.drop();
    this.server.closeAllConnections();
    await new Promise((done) => this.server.close(done));
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url!, 'http://stub');
    const accept = request.headers.accept ?? '';
    const lastEventId = (request.headers['last-event-id'] as string | undefined) ?? null;
    this.requests.push({
      accept,
      after: url.searchParams.get('after'),
      lastEventId,
      at: Date.now(),
    });
    if (this.refuseWith !== null || request.headers.authorization !== `Bearer ${TOKEN}`) {
      response.writeHead(this.refuseWith ?? 401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ statusCode: 401, code: 'feed_token_invalid', message: 'No.' }));
      return;
    }
    if (accept === 'text/event-stream') {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const after = Number(lastEventId ?? 0);
      response.write(
        this.events
          .filter((event) => Number(event.id) > after)
          .map(sse)
          .join(''),
      );
      this.streams.add(response);
      response.on('close', () => this.streams.delete(response));
      return;
    }
    const after = Number(url.searchParams.get('after') ?? 0);
    const events = this.events
      .filter((event) => Number(event.id) > after)
      .map(({ id, type, data }) => ({ id, type, ...data }));
    const cursor = events.at(-1)?.id ?? url.searchParams.get('after') ?? String(this.events.length);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ events, cursor }));
  }
}

function sse(event: FeedEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

async function eventually(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('The condition did not hold in time');
    await new Promise((done) => setTimeout(done, 10));
  }
}

describe('RevocationFeed against a feed over HTTP', () => {
  let stub: StubFeed;
  let url: string;
  let feed: RevocationFeed | undefined;
  let logs: string[];

  beforeEach(async () => {
    stub = new StubFeed();
    url = await stub.start();
    logs = [];
    for (const level of ['log', 'warn', 'error'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((message: unknown) => {
        logs.push(typeof message === 'string' ? message : JSON.stringify(message));
      });
    }
  });

  afterEach(async () => {
    await feed?.onModuleDestroy();
    feed = undefined;
    await stub.stop();
    jest.restoreAllMocks();
  });

  function start(
    options: {
      token?: string;
      maxFeedSilence?: string;
      timing?: Partial<RevocationFeedTiming>;
    } = {},
  ) {
    const resolved = normaliseResourceServerOptions({
      issuer: 'http://127.0.0.1',
      jwksUrl: 'http://127.0.0.1:1/.well-known/jwks.json',
      revocationFeed: { url, token: options.token ?? TOKEN },
      ...(options.maxFeedSilence ? { maxFeedSilence: options.maxFeedSilence as '16s' } : {}),
    });
    const revoked = new RevokedTokens(resolved);
    const status = new RevocationFeedStatus(resolved, revoked);
    const timing = Object.assign(new RevocationFeedTiming(), {
      firstRetryMs: 20,
      maxRetryMs: 200,
      ...options.timing,
    });
    feed = new RevocationFeed(resolved, revoked, status, timing);
    return { revoked, status, ready: feed.onModuleInit() };
  }

  it('applies the opening snapshot before the start completes', async () => {
    stub.publish('revoked', {
      sid: SID[0],
      revokedAt: new Date().toISOString(),
      until: inAMinute(),
    });
    const { revoked, status, ready } = start();
    await ready;
    expect(revoked.isRevoked(SID[0], nowSec())).toBe(true);
    expect(revoked.isRevoked(SID[1], nowSec())).toBe(false);
    expect(stub.requests[0]).toMatchObject({ accept: 'application/json', after: null });
    await eventually(() => status.describe().state === 'up');
    // The stream opens after what the snapshot already applied.
    expect(
      stub.requests.find((request) => request.accept === 'text/event-stream')?.lastEventId,
    ).toBe('1');
    expect(logs.join('\n')).toContain('Revocation feed connected: caught up to event 1');
  });

  it('applies live revoked and revoked-all events as they arrive', async () => {
    const { revoked, status, ready } = start();
    await ready;
    await eventually(() => stub.streams.size === 1);
    stub.publish('revoked', {
      sid: SID[1],
      revokedAt: new Date().toISOString(),
      until: inAMinute(),
    });
    await eventually(() => revoked.isRevoked(SID[1], nowSec()));
    const issuedBefore = nowSec() - 5;
    stub.publish('revoked-all', { before: new Date().toISOString(), until: inAMinute() });
    await eventually(() => revoked.isRevoked(SID[0], issuedBefore));
    // A token issued after the cut-off's second still passes.
    expect(revoked.isRevoked(SID[0], nowSec() + 2)).toBe(false);
    expect(status.describe().cursor).toBe('2');
  });

  it('reconnects after the connection drops, resuming after the last event with Last-Event-ID', async () => {
    const { revoked, status, ready } = start();
    await ready;
    await eventually(() => stub.streams.size === 1);
    stub.publish('revoked', {
      sid: SID[0],
      revokedAt: new Date().toISOString(),
      until: inAMinute(),
    });
    await eventually(() => revoked.isRevoked(SID[0], nowSec()));
    const before = stub.requests.length;
    stub.drop();
    // Revoked while this client was away: the catch-up brings it.
    stub.publish('revoked', {
      sid: SID[1],
      revokedAt: new Date().toISOString(),
      until: inAMinute(),
    });
    await eventually(() => revoked.isRevoked(SID[1], nowSec()));
    const again = stub.requests.slice(before);
    expect(again[0]).toMatchObject({ accept: 'application/json', after: '1' });
    await eventually(() => stub.streams.size === 1);
    expect(stub.requests.at(-1)).toMatchObject({ accept: 'text/event-stream', lastEventId: '2' });
    expect(status.describe().state).toBe('up');
    const text = logs.join('\n');
    expect(text).toContain('Revocation feed unreachable');
    expect(text).toMatch(/Revocation feed is back after \d+s: caught up to event 2/);
  });

  it('retries with exponential backoff while the feed fails, and says why once', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(1);
    stub.refuseWith = 503;
    const { status, ready } = start({ timing: { firstRetryMs: 40, maxRetryMs: 320 } });
    await ready;
    await eventually(() => stub.requests.length >= 6, 5_000);
    const gaps = stub.requests
      .slice(1, 6)
      .map((request, index) => request.at - stub.requests[index].at);
    // 40, 80, 160, 320, then capped at 320 (a timer may fire a little late, never early).
    [40, 80, 160, 320, 320].forEach((expected, index) => {
      expect(gaps[index]).toBeGreaterThanOrEqual(expected - 2);
      expect(gaps[index]).toBeLessThan(expected + 150);
    });
    expect(status.describe()).toMatchObject({
      state: 'down',
      healthy: false,
      problem: 'the service answered 503',
    });
    expect(logs.filter((line) => line.includes('unreachable'))).toHaveLength(1);
  });

  it('reports a refused feed token in its status and log, never the token itself', async () => {
    const { status, ready } = start({ token: 'another-token-0123456789-0123456789-01' });
    await ready;
    expect(status.isHealthy()).toBe(false);
    expect(status.describe().problem).toContain('401 feed_token_invalid');
    expect(logs.join('\n')).toContain('401 feed_token_invalid');
    expect(logs.join('\n')).not.toContain('another-token');
  });

  it('starts without waiting long when the feed cannot be reached, and keeps trying', async () => {
    await stub.stop();
    const began = Date.now();
    const { status, ready } = start();
    await ready;
    expect(Date.now() - began).toBeLessThan(2_000);
    expect(status.describe()).toMatchObject({ state: 'down', healthy: false });
    expect(status.describe().problem).toContain('ECONNREFUSED');
    stub = new StubFeed();
    await stub.start().catch(() => undefined);
  });

  it('treats a stream silent past idleTimeoutMs as dead, and reconnects', async () => {
    const { ready } = start({ timing: { idleTimeoutMs: 150 } });
    await ready;
    await eventually(() => stub.streams.size === 1);
    const streamsOpened = () =>
      stub.requests.filter((r) => r.accept === 'text/event-stream').length;
    await eventually(() => streamsOpened() >= 2, 3_000);
    expect(logs.join('\n')).toContain('no event or heartbeat for 0.15s');
  });
});

describe('RevokedTokens', () => {
  const options = normaliseResourceServerOptions({
    issuer: 'http://127.0.0.1',
    jwksUrl: 'http://127.0.0.1/jwks',
    clockTolerance: '2s',
  });

  it('forgets a revoked session once its last token has expired (until plus the clock tolerance)', () => {
    const revoked = new RevokedTokens(options);
    const now = 1_700_000_000_000;
    revoked.revokeSession(SID[0], now + 10_000, now);
    expect(revoked.isRevoked(SID[0], 0, now + 11_999)).toBe(true);
    expect(revoked.isRevoked(SID[0], 0, now + 12_000)).toBe(false);
    expect(revoked.size).toBe(1);
    revoked.forgetExpired(now + 12_000);
    expect(revoked.size).toBe(0);
  });

  it('keeps nothing for an event whose tokens have all expired already', () => {
    const revoked = new RevokedTokens(options);
    const now = 1_700_000_000_000;
    revoked.revokeSession(SID[0], now - 5_000, now);
    revoked.revokeAllBefore(now - 60_000, now - 5_000, now);
    expect(revoked.size).toBe(0);
    expect(revoked.isRevoked(SID[1], 0, now)).toBe(false);
  });

  it('refuses tokens issued before a revoked-all cut-off until that one is forgotten too', () => {
    const revoked = new RevokedTokens(options);
    const now = 1_700_000_000_000;
    revoked.revokeAllBefore(now - 500, now + 1_000, now);
    expect(revoked.isRevoked(SID[0], (now - 1_000) / 1000, now)).toBe(true);
    expect(revoked.isRevoked(SID[0], now / 1000, now)).toBe(false);
    expect(revoked.isRevoked(SID[0], (now - 1_000) / 1000, now + 3_000)).toBe(false);
  });
});

describe('RevocationFeedStatus and maxFeedSilence', () => {
  const feedOptions = {
    issuer: 'http://127.0.0.1',
    jwksUrl: 'http://127.0.0.1/jwks',
    revocationFeed: { url: 'http://127.0.0.1/auth/revocations', token: TOKEN },
  };

  it('is silent too long once neither an event nor a heartbeat came for maxFeedSilence', () => {
    const options = normaliseResourceServerOptions({ ...feedOptions, maxFeedSilence: '20s' });
    const status = new RevocationFeedStatus(options, new RevokedTokens(options));
    const now = Date.now();
    status.heard(null, now);
    status.connected(now);
    expect(status.isSilentTooLong(now + 20_000)).toBe(false);
    expect(status.isHealthy(now + 20_000)).toBe(true);
    expect(status.isSilentTooLong(now + 20_001)).toBe(true);
    expect(status.isHealthy(now + 20_001)).toBe(false);
    status.heard(null, now + 25_000);
    expect(status.isSilentTooLong(now + 30_000)).toBe(false);
  });

  it('never is without maxFeedSilence: the feed out of reach only shows in readiness', () => {
    const options = normaliseResourceServerOptions(feedOptions);
    const status = new RevocationFeedStatus(options, new RevokedTokens(options));
    status.lost('connection failed (ECONNREFUSED)');
    expect(status.isSilentTooLong(Date.now() + 86_400_000)).toBe(false);
    expect(status.isHealthy()).toBe(false);
  });

  it('is healthy without a feed configured: the module then only verifies', () => {
    const options = normaliseResourceServerOptions({
      issuer: 'http://a',
      jwksUrl: 'http://a/jwks',
    });
    const status = new RevocationFeedStatus(options, new RevokedTokens(options));
    expect(status.describe()).toMatchObject({ state: 'off', healthy: true });
  });
});

function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}
