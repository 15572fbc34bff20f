import { jest } from '@jest/globals';
import { SessionAuthError } from '../../core/errors';
import type { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import type { RevocationListener } from '../../persistence/revocation-listener';
import type {
  RevocationLogRepository,
  RevocationLogRow,
} from '../../persistence/revocation-log.repository';
import {
  type FeedEvent,
  type FeedSubscriber,
  MAX_SUBSCRIBER_BACKLOG_BYTES,
  RevocationFeed,
} from './revocation-feed';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');

/** A feed over a log kept in an array, read as the repository's statement reads it. */
function feedOverLog() {
  const rows: RevocationLogRow[] = [];
  let reads = 0;
  let release: (() => void) | null = null;
  let holdReads = false;
  const log = {
    readAfter: async (seq: string) => {
      reads++;
      if (holdReads) await new Promise<void>((done) => (release = done));
      return rows.filter(
        (row) => BigInt(row.seq) > BigInt(seq) && row.until.getTime() > Date.now(),
      );
    },
  } as unknown as RevocationLogRepository;
  let watcher: (() => void) | null = null;
  const listener = {
    watchRevocations: (callback: () => void) => (watcher = callback),
  } as unknown as RevocationListener;
  const feed = new RevocationFeed(
    { revocationFeedTokens: ['t'.repeat(32)] } as unknown as ResolvedSessionAuthOptions,
    log,
    listener,
  );
  const revoke = (seq: number, untilInMs = 900_000, sid = `session-${seq}`) =>
    rows.push({
      seq: String(seq),
      kind: 'revoked',
      session_id: sid,
      revoked_at: new Date(Date.now()),
      until: new Date(Date.now() + untilInMs),
    });
  return {
    feed,
    rows,
    revoke,
    reads: () => reads,
    notify: () => watcher?.(),
    hold: () => (holdReads = true),
    releaseRead: () => {
      holdReads = false;
      release?.();
    },
  };
}

/** A subscriber that records what it was given, with a backlog the test sets. */
function recorder() {
  const received: string[] = [];
  let backlog = 0;
  let closed = false;
  let heartbeats = 0;
  const subscriber: FeedSubscriber = {
    events: (batch) => received.push(...batch.map((event) => event.id)),
    heartbeat: () => heartbeats++,
    backlogBytes: () => backlog,
    close: () => (closed = true),
  };
  return {
    subscriber,
    received,
    setBacklog: (bytes: number) => (backlog = bytes),
    closed: () => closed,
    heartbeats: () => heartbeats,
  };
}

const ids = (events: FeedEvent[]) => events.map((event) => event.id);

describe('RevocationFeed', () => {
  let clock: number;

  beforeEach(() => {
    clock = NOW;
    jest.spyOn(Date, 'now').mockImplementation(() => clock);
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers 503 until its first read of the log has succeeded', () => {
    const { feed } = feedOverLog();
    expect(() => feed.poll(null)).toThrow(SessionAuthError);
    try {
      feed.poll(null);
    } catch (error) {
      expect((error as SessionAuthError).reason).toBe('service_unavailable');
    }
  });

  it('keeps events in seq order and pages them with a cursor', async () => {
    const { feed, revoke } = feedOverLog();
    expect((await feed.read(), feed.poll(null))).toEqual({ events: [], cursor: '0' });
    revoke(1);
    revoke(2);
    await feed.read();
    revoke(3);
    await feed.read();
    const all = feed.poll(null);
    expect(ids(all.events)).toEqual(['1', '2', '3']);
    expect(all.cursor).toBe('3');
    expect(all.events[0].data).toEqual({
      sid: 'session-1',
      revokedAt: '2026-01-01T00:00:00.000Z',
      until: '2026-01-01T00:15:00.000Z',
    });
    expect(ids(feed.poll(1n).events)).toEqual(['2', '3']);
    // Nothing after the cursor: the cursor given comes back, so the poller keeps its place.
    expect(feed.poll(3n)).toEqual({ events: [], cursor: '3' });
    expect(feed.poll(99n)).toEqual({ events: [], cursor: '99' });
  });

  it('coalesces a burst of notifications into at most one more read', async () => {
    const { feed, revoke, reads, notify, hold, releaseRead } = feedOverLog();
    // Registers with the listener, reads once, and starts the heartbeat timer.
    await feed.onModuleInit();
    const before = reads();
    hold();
    revoke(1);
    notify();
    for (let i = 0; i < 10; i++) notify();
    revoke(2);
    const done = feed.read();
    releaseRead();
    await done;
    expect(reads() - before).toBe(2);
    expect(ids(feed.poll(null).events)).toEqual(['1', '2']);
    feed.beforeApplicationShutdown();
  });

  it('forgets an event once its until has passed, and keeps the head as the cursor', async () => {
    const { feed, revoke } = feedOverLog();
    revoke(1, 2_000);
    revoke(2, 60_000);
    await feed.read();
    expect(ids(feed.poll(null).events)).toEqual(['1', '2']);
    clock += 2_000;
    expect(ids(feed.poll(null).events)).toEqual(['2']);
    clock += 58_000;
    expect(feed.poll(null)).toEqual({ events: [], cursor: '2' });
  });

  it('pushes each new event once to every subscriber, after its opening snapshot', async () => {
    const { feed, revoke } = feedOverLog();
    revoke(1);
    await feed.read();
    const fresh = recorder();
    const resumed = recorder();
    expect(ids(feed.subscribe(null, fresh.subscriber).events)).toEqual(['1']);
    expect(ids(feed.subscribe(1n, resumed.subscriber).events)).toEqual([]);
    revoke(2);
    revoke(3);
    await feed.read();
    await feed.read();
    expect(fresh.received).toEqual(['2', '3']);
    expect(resumed.received).toEqual(['2', '3']);
  });

  it('skips what a cursor from a further-ahead instance already covers', async () => {
    const { feed, revoke } = feedOverLog();
    revoke(1);
    await feed.read();
    const ahead = recorder();
    // This consumer saw up to 3 on another instance; this one has read only up to 1.
    expect(feed.subscribe(3n, ahead.subscriber).events).toEqual([]);
    revoke(2);
    revoke(3);
    revoke(4);
    await feed.read();
    expect(ahead.received).toEqual(['4']);
  });

  it('drops a subscriber whose backlog is over the limit, without holding up the others', async () => {
    const { feed, revoke } = feedOverLog();
    await feed.read();
    const slow = recorder();
    const fast = recorder();
    const { unsubscribe } = feed.subscribe(null, slow.subscriber);
    feed.subscribe(null, fast.subscriber);
    slow.setBacklog(MAX_SUBSCRIBER_BACKLOG_BYTES + 1);
    revoke(1);
    await feed.read();
    expect(slow.closed()).toBe(true);
    expect(slow.received).toEqual([]);
    expect(fast.received).toEqual(['1']);
    expect(feed['subscribers'].size).toBe(1);
    unsubscribe();
    expect(feed['subscribers'].size).toBe(1);
  });

  it('sends heartbeats, and drops a subscriber too far behind on a heartbeat as well', async () => {
    const { feed } = feedOverLog();
    await feed.read();
    const idle = recorder();
    const stuck = recorder();
    feed.subscribe(null, idle.subscriber);
    feed.subscribe(null, stuck.subscriber);
    stuck.setBacklog(MAX_SUBSCRIBER_BACKLOG_BYTES + 1);
    feed['heartbeat']();
    expect(idle.heartbeats()).toBe(1);
    expect(stuck.heartbeats()).toBe(0);
    expect(stuck.closed()).toBe(true);
  });

  it('shapes a revoked-all row with its before', async () => {
    const { feed, rows } = feedOverLog();
    rows.push({
      seq: '7',
      kind: 'revoked-all',
      session_id: null,
      revoked_at: new Date(NOW),
      until: new Date(NOW + 60_000),
    });
    await feed.read();
    const [event] = feed.poll(null).events;
    expect({ id: event.id, type: event.type, ...event.data }).toEqual({
      id: '7',
      type: 'revoked-all',
      before: '2026-01-01T00:00:00.000Z',
      until: '2026-01-01T00:01:00.000Z',
    });
  });
});
