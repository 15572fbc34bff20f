import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { serviceUnavailable } from '../../core/errors';
import { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import type { RevocationKind } from '../../persistence/entities/session-revocation.entity';
import {
  RevocationLogRepository,
  type RevocationLogRow,
} from '../../persistence/revocation-log.repository';
import { RevocationListener } from '../../persistence/revocation-listener';

/** One event of the feed; `data` holds its fields as the wire format names them. */
export interface FeedEvent {
  readonly seq: bigint;
  /** `seq` in decimal: the event's id and a consumer's cursor. */
  readonly id: string;
  readonly type: RevocationKind;
  readonly data: Readonly<
    { sid: string; revokedAt: string; until: string } | { before: string; until: string }
  >;
  /** `until` in ms: when the event can be forgotten. */
  readonly untilMs: number;
}

/**
 * A live consumer of the feed (an SSE stream). The feed pushes new events to it and drops it when
 * it falls behind, so that a slow consumer neither holds up the others nor grows memory.
 */
export interface FeedSubscriber {
  /** New events, in seq order, none of them delivered to it before. */
  events(batch: readonly FeedEvent[]): void;
  heartbeat(): void;
  /** Bytes written to it that its consumer has not taken yet. */
  backlogBytes(): number;
  /** Ends it: dropped for its backlog, or the app is shutting down. */
  close(): void;
}

/** The contract asks for a comment line at least every 15 s; this leaves room for a slow tick. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** A subscriber with more than this unread is dropped; it resumes with Last-Event-ID. */
export const MAX_SUBSCRIBER_BACKLOG_BYTES = 1024 * 1024;

/**
 * The revocation feed of this instance: every revocation whose access tokens may still be alive,
 * read from the log (session_revocations) in seq order and kept in memory, and pushed to live
 * subscribers as it arrives. It reads when the one revocation listener of the instance hears a
 * revocation notification (from any instance) and at each catch-up tick, so that however many
 * consumers there are, an instance costs one LISTEN connection and one small read per burst.
 * Idle (no reads, no timer) when no feed token is configured.
 */
@Injectable()
export class RevocationFeed implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(RevocationFeed.name);
  /** In seq order. */
  private events: FeedEvent[] = [];
  /** The greatest seq read so far; 0 before any. */
  private head = 0n;
  /** The earliest `untilMs` among `events`: nothing to prune before it. */
  private nextExpiryMs = Infinity;
  private loaded = false;
  private failing = false;
  private reading: Promise<void> | null = null;
  private readAgain = false;
  /** Each live subscriber and the last seq it has been given. */
  private readonly subscribers = new Map<FeedSubscriber, bigint>();
  private heartbeatTimer?: NodeJS.Timeout;

  constructor(
    private readonly options: ResolvedSessionAuthOptions,
    private readonly log: RevocationLogRepository,
    private readonly listener: RevocationListener,
  ) {}

  get enabled(): boolean {
    return this.options.revocationFeedTokens.length > 0;
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    this.listener.watchRevocations(() => void this.read());
    await this.read();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), HEARTBEAT_INTERVAL_MS).unref();
  }

  /** Ends the streams before the HTTP server closes, which would otherwise wait for them. */
  beforeApplicationShutdown(): void {
    clearInterval(this.heartbeatTimer);
    for (const subscriber of [...this.subscribers.keys()]) this.drop(subscriber);
  }

  /**
   * The events after `after` (all of them without it) still inside the window, and the cursor to
   * poll with next: the last event's id, else `after`, else the head.
   */
  poll(after: bigint | null): { events: FeedEvent[]; cursor: string } {
    const events = this.since(after);
    const cursor = events.at(-1)?.id ?? (after ?? this.head).toString();
    return { events, cursor };
  }

  /**
   * The opening events for a new subscriber (as `poll`), and from then on every new event after
   * them, pushed to it. Registered in the same turn as the snapshot is taken, so nothing falls
   * between the two; an event the subscriber's cursor already covers is never sent.
   */
  subscribe(
    after: bigint | null,
    subscriber: FeedSubscriber,
  ): { events: FeedEvent[]; unsubscribe: () => void } {
    const events = this.since(after);
    // The snapshot holds everything up to the head; a cursor beyond it (another instance read
    // further) holds more still.
    this.subscribers.set(subscriber, after !== null && after > this.head ? after : this.head);
    return { events, unsubscribe: () => this.subscribers.delete(subscriber) };
  }

  /**
   * Reads the log past the head. One read at a time, and at most one more queued behind it: a
   * burst of notifications costs two reads, not one each.
   */
  read(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.readAgain = false;
          await this.readOnce();
        } while (this.readAgain);
      } finally {
        this.reading = null;
      }
    })();
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    let rows: RevocationLogRow[];
    try {
      rows = await this.log.readAfter(this.head.toString());
    } catch (error) {
      if (!this.failing) {
        this.logger.warn({
          msg: 'Revocation feed cannot read its log; retrying',
          err: String(error),
        });
      }
      this.failing = true;
      return;
    }
    if (this.failing) this.logger.log('Revocation feed reads its log again');
    this.failing = false;
    this.loaded = true;
    this.append(rows.map(toFeedEvent));
  }

  /** Adds events read past the head, in seq order, and pushes them to every subscriber. */
  private append(fresh: readonly FeedEvent[]): void {
    this.prune(Date.now());
    if (fresh.length === 0) return;
    for (const event of fresh) {
      this.events.push(event);
      this.nextExpiryMs = Math.min(this.nextExpiryMs, event.untilMs);
    }
    this.head = fresh[fresh.length - 1].seq;
    for (const [subscriber, delivered] of this.subscribers) {
      if (subscriber.backlogBytes() > MAX_SUBSCRIBER_BACKLOG_BYTES) {
        this.drop(subscriber);
        continue;
      }
      const unseen = delivered < fresh[0].seq ? fresh : fresh.filter((e) => e.seq > delivered);
      if (unseen.length === 0) continue;
      this.subscribers.set(subscriber, unseen[unseen.length - 1].seq);
      subscriber.events(unseen);
    }
  }

  private heartbeat(): void {
    for (const subscriber of [...this.subscribers.keys()]) {
      if (subscriber.backlogBytes() > MAX_SUBSCRIBER_BACKLOG_BYTES) this.drop(subscriber);
      else subscriber.heartbeat();
    }
  }

  private drop(subscriber: FeedSubscriber): void {
    this.subscribers.delete(subscriber);
    subscriber.close();
  }

  private since(after: bigint | null): FeedEvent[] {
    if (!this.loaded) {
      throw serviceUnavailable('The revocation feed is not available yet; try again shortly.');
    }
    const now = Date.now();
    this.prune(now);
    const start = after === null ? 0 : firstAfter(this.events, after);
    return this.events.slice(start).filter((event) => event.untilMs > now);
  }

  /** Forgets events past their `until`; a no-op until the earliest of them is due. */
  private prune(now: number): void {
    if (now < this.nextExpiryMs) return;
    this.events = this.events.filter((event) => event.untilMs > now);
    this.nextExpiryMs = this.events.reduce((min, event) => Math.min(min, event.untilMs), Infinity);
  }
}

/** The index of the first event whose seq is greater than `seq` (events are in seq order). */
function firstAfter(events: readonly FeedEvent[], seq: bigint): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (events[middle].seq <= seq) low = middle + 1;
    else high = middle;
  }
  return low;
}

export function toFeedEvent(row: RevocationLogRow): FeedEvent {
  const until = row.until.toISOString();
  return {
    seq: BigInt(row.seq),
    id: row.seq,
    type: row.kind,
    data:
      row.kind === 'revoked'
        ? { sid: row.session_id!, revokedAt: row.revoked_at.toISOString(), until }
        : { before: row.revoked_at.toISOString(), until },
    untilMs: row.until.getTime(),
  };
}
