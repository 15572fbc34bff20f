import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { setTimeout as pause } from 'node:timers/promises';
import { ResolvedResourceServerOptions } from './resource-server-options';
import { RevocationFeedStatus } from './revocation-feed-status';
import { RevokedTokens } from './revoked-tokens';
import { SseParser } from './sse-parser';

/** How the feed client waits and retries; the defaults suit production, tests shorten them. */
export class RevocationFeedTiming {
  /** The first retry after a failure; each next one doubles, up to `maxRetryMs`, with jitter. */
  firstRetryMs = 500;
  maxRetryMs = 15_000;
  /** A catch-up request, or the opening of the stream, that takes longer has failed. */
  requestTimeoutMs = 10_000;
  /** The feed sends a heartbeat at least every 15 s: a stream silent this long is dead. */
  idleTimeoutMs = 45_000;
  /** How long the start waits for the first catch-up, so that the app's first request sees it. */
  startWaitMs = 5_000;
  /** How often entries past their `until` are dropped. */
  forgetEveryMs = 10_000;
}

/** A cursor as the feed sends it: a decimal sequence number. */
const CURSOR = /^\d{1,18}$/;
/** Far more than one catch-up needs; a feed that keeps paging beyond it is looping. */
const MAX_CATCH_UP_PAGES = 1_000;

/** The feed answered, but not with what a reader of the feed can use. */
class FeedAnswer extends Error {
  constructor(readonly problem: string) {
    super(problem);
  }
}

/**
 * Follows the service's revocation feed (`GET /auth/revocations`) into RevokedTokens. Each
 * connection first catches up with the JSON form (everything after the last event applied, or the
 * whole window on the first), then follows the Server-Sent Events stream from that cursor
 * (`Last-Event-ID`), so that a connection counts as up only once nothing is missing. A failure is
 * logged once per outage and cause, and retried with exponential backoff and jitter; tokens are
 * verified meanwhile. The start waits (briefly) for the first catch-up, so that a session revoked
 * before this app started is refused from its first request.
 */
@Injectable()
export class RevocationFeed implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RevocationFeed.name);
  private readonly stopping = new AbortController();
  private cursor: string | null = null;
  private running: Promise<void> | undefined;
  private forgetting: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: ResolvedResourceServerOptions,
    private readonly revoked: RevokedTokens,
    private readonly status: RevocationFeedStatus,
    private readonly timing: RevocationFeedTiming,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.options.revocationFeed) return;
    this.forgetting = setInterval(
      () => this.revoked.forgetExpired(),
      this.timing.forgetEveryMs,
    ).unref();
    let firstAttempt!: () => void;
    const settled = new Promise<void>((resolve) => (firstAttempt = resolve));
    this.running = this.run(firstAttempt);
    const waiting = new AbortController();
    await Promise.race([
      settled,
      pause(this.timing.startWaitMs, undefined, { signal: waiting.signal }).catch(() => undefined),
    ]);
    waiting.abort();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.forgetting);
    await this.running;
  }

  /** Connects, follows, and on any failure waits and connects again, until the app stops. */
  private async run(firstAttempt: () => void): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      try {
        await this.catchUp();
        firstAttempt();
        failures = 0;
        await this.follow();
        this.lost('the service ended the stream');
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        this.lost(problemOf(error));
        firstAttempt();
      }
      failures++;
      await pause(this.retryDelayMs(failures), undefined, {
        signal: this.stopping.signal,
      }).catch(() => undefined);
    }
  }

  /** Exponential backoff with "equal jitter": half the delay fixed, half random. */
  private retryDelayMs(failures: number): number {
    const { firstRetryMs, maxRetryMs } = this.timing;
    const delay = Math.min(maxRetryMs, firstRetryMs * 2 ** Math.min(failures - 1, 30));
    return delay / 2 + Math.random() * (delay / 2);
  }

  /** The JSON form, page by page from the cursor, until it has nothing more. */
  private async catchUp(): Promise<void> {
    for (let page = 0; page < MAX_CATCH_UP_PAGES; page++) {
      const url = new URL(this.options.revocationFeed!.url);
      if (this.cursor !== null) url.searchParams.set('after', this.cursor);
      const response = await this.request(url, 'application/json', this.timeoutSignal());
      const body = (await response.json()) as { events?: unknown; cursor?: unknown };
      if (!Array.isArray(body.events))
        throw new FeedAnswer('the feed answered JSON without events');
      for (const event of body.events as Record<string, unknown>[]) {
        this.apply(event?.id, event?.type, event);
      }
      const before = this.cursor;
      if (typeof body.cursor === 'string' && CURSOR.test(body.cursor)) this.cursor = body.cursor;
      this.status.heard(this.cursor);
      if (body.events.length === 0 || this.cursor === before) return;
    }
  }

  /** The live stream, until it ends, fails, or stays silent past `idleTimeoutMs`. */
  private async follow(): Promise<void> {
    const connection = new AbortController();
    const stop = () => connection.abort();
    this.stopping.signal.addEventListener('abort', stop);
    const opening = setTimeout(
      () => connection.abort(new FeedAnswer('the stream did not open in time')),
      this.timing.requestTimeoutMs,
    );
    let idle: NodeJS.Timeout | undefined;
    try {
      const response = await this.request(
        this.options.revocationFeed!.url,
        'text/event-stream',
        connection.signal,
      );
      clearTimeout(opening);
      if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
        throw new FeedAnswer('the feed did not answer with an event stream');
      }
      this.connected();
      idle = setTimeout(() => {
        connection.abort(
          new FeedAnswer(`no event or heartbeat for ${this.timing.idleTimeoutMs / 1000}s`),
        );
      }, this.timing.idleTimeoutMs);
      const parser = new SseParser(
        (event) => {
          this.apply(event.id, event.event, parseData(event.data));
          this.status.heard(this.cursor);
        },
        () => this.status.heard(null),
      );
      const decoder = new TextDecoder();
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        idle.refresh();
        parser.push(decoder.decode(chunk, { stream: true }));
      }
    } catch (error) {
      throw connection.signal.reason instanceof FeedAnswer ? connection.signal.reason : error;
    } finally {
      clearTimeout(opening);
      clearTimeout(idle);
      this.stopping.signal.removeEventListener('abort', stop);
      connection.abort();
    }
  }

  private async request(url: URL, accept: string, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {
      accept,
      authorization: `Bearer ${this.options.revocationFeed!.token}`,
    };
    if (accept === 'text/event-stream' && this.cursor !== null) {
      headers['last-event-id'] = this.cursor;
    }
    const response = await fetch(url, { headers, signal });
    if (response.ok) return response;
    await response.body?.cancel();
    throw new FeedAnswer(refusalOf(response.status));
  }

  private timeoutSignal(): AbortSignal {
    return AbortSignal.any([
      this.stopping.signal,
      AbortSignal.timeout(this.timing.requestTimeoutMs),
    ]);
  }

  /** One event, from either form. Unknown types are skipped: the feed may grow new ones. */
  private apply(id: unknown, type: unknown, data: Record<string, unknown> | null): void {
    if (type === 'revoked' || type === 'revoked-all') {
      const until = instantOf(data?.until);
      const sessionId = data?.sid;
      const before = instantOf(data?.before);
      if (type === 'revoked' && typeof sessionId === 'string' && until !== null) {
        this.revoked.revokeSession(sessionId, until);
      } else if (type === 'revoked-all' && before !== null && until !== null) {
        this.revoked.revokeAllBefore(before, until);
      } else {
        this.logger.warn({ msg: 'Revocation feed event skipped: its data is malformed', id, type });
      }
    }
    if (typeof id === 'string' && CURSOR.test(id)) this.cursor = id;
  }

  private connected(): void {
    const downForMs = this.status.stateAgeMs();
    const left = this.status.connected();
    const cursor = this.cursor ?? 'none yet';
    if (left === 'down') {
      this.logger.log(
        `Revocation feed is back after ${Math.round(downForMs / 1000)}s: caught up to event ${cursor}, following live revocations`,
      );
    } else {
      this.logger.log(
        `Revocation feed connected: caught up to event ${cursor}, following live revocations`,
      );
    }
  }

  private lost(problem: string): void {
    if (this.status.lost(problem)) {
      this.logger.warn(
        `Revocation feed unreachable: ${problem}. Access tokens are still verified, but revocations reach this service late; retrying with backoff`,
      );
    }
  }
}

function parseData(data: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(data);
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function instantOf(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function refusalOf(status: number): string {
  if (status === 401) {
    return 'the service refused the feed token (401 feed_token_invalid): check revocationFeed.token against its REVOCATION_FEED_TOKENS';
  }
  if (status === 404) {
    return 'the service serves no revocation feed (404): set REVOCATION_FEED_TOKENS there';
  }
  return `the service answered ${status}`;
}

/** Why a connection failed, in words safe to log: never a header, so never the token. */
function problemOf(error: unknown): string {
  if (error instanceof FeedAnswer) return error.problem;
  const { name, message, cause } = error as { name?: string; message?: string; cause?: unknown };
  if (name === 'TimeoutError') return 'no answer in time';
  const { code, message: causeMessage } = (cause ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return `connection failed (${code})`;
  if (typeof causeMessage === 'string') return `${message} (${causeMessage})`;
  return message ? `${name ?? 'Error'}: ${message}` : String(error);
}
