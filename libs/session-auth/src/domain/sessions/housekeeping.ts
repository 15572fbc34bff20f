import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import { LoginFailuresRepository } from '../../persistence/login-failures.repository';
import { RevocationLogRepository } from '../../persistence/revocation-log.repository';
import { SecurityEventsRepository } from '../../persistence/security-events.repository';
import type { Batches } from '../../persistence/pg-pool';
import { SessionsRepository } from '../../persistence/sessions.repository';
import { UsersRepository } from '../../persistence/users.repository';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const ENDED_SESSION_RETENTION_MS = 30 * DAY;
export const SECURITY_EVENT_RETENTION_MS = 90 * DAY;
/**
 * Rows per statement: short statements, short row locks, whatever the size of the tables (a
 * million ended sessions go in a thousand statements, between which refreshes run freely).
 */
export const ENDED_SESSIONS_BATCH = 1_000;
export const SECURITY_EVENTS_BATCH = 5_000;
export const LOGIN_FAILURES_BATCH = 1_000;
export const REVOCATION_LOG_BATCH = 1_000;
export const CLOSED_ACCOUNTS_BATCH = 100;
/**
 * After a full batch, housekeeping rests this many times as long as the batch took: it takes at
 * most a quarter of the time of one database connection, so that a backlog (a million ended
 * sessions, say) drains over minutes without crowding out the requests.
 */
export const REST_PER_BATCH_TIME = 3;
/**
 * An account closed for deletion is deleted a second later, once its sessions' revocation has
 * reached every instance; one still there after this long was interrupted (the process stopped).
 */
export const CLOSED_ACCOUNT_GRACE_MS = 10 * 60_000;

/** How many rows each kind of housekeeping deleted in one run. */
export interface HousekeepingCounts {
  sessions: number;
  events: number;
  loginFailures: number;
  revocations: number;
  closedAccounts: number;
}

/**
 * Deletes what no one needs any more: sessions ended 30 days ago, security events after 90,
 * lockout counters whose window has closed, and the revocation feed's events past their `until`
 * (no access token they concern is alive); and, with the built-in accounts, finishes the deletion
 * of an account whose deletion was interrupted after it was closed. Each in batches found through
 * an index, skipping any row a transaction holds (a refresh, a revocation, a sign-in's lockout
 * counter, another instance's batch), so it never waits for a user and several instances can run
 * it at once. Runs at start, then every hour, on a timer of its own that never keeps the process
 * alive: no scheduler module is imposed on the app.
 */
@Injectable()
export class Housekeeping implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(Housekeeping.name);
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly events: SecurityEventsRepository,
    private readonly loginFailures: LoginFailuresRepository,
    private readonly revocationLog: RevocationLogRepository,
    /** Present with the built-in accounts only. */
    @Optional() private readonly users?: UsersRepository,
  ) {}

  onApplicationBootstrap(): void {
    void this.run();
    this.timer = setInterval(() => void this.run(), HOUR).unref();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  async run(now = Date.now()): Promise<HousekeepingCounts> {
    try {
      const counts: HousekeepingCounts = {
        sessions: await this.sessions.deleteEndedBefore(
          new Date(now - ENDED_SESSION_RETENTION_MS),
          this.batches(ENDED_SESSIONS_BATCH),
        ),
        events: await this.events.deleteOlderThan(
          new Date(now - SECURITY_EVENT_RETENTION_MS),
          this.batches(SECURITY_EVENTS_BATCH),
        ),
        loginFailures: await this.loginFailures.deleteExpired(this.batches(LOGIN_FAILURES_BATCH)),
        revocations: await this.revocationLog.deleteExpired(this.batches(REVOCATION_LOG_BATCH)),
        closedAccounts:
          (await this.users?.deleteClosedBefore(
            new Date(now - CLOSED_ACCOUNT_GRACE_MS),
            this.batches(CLOSED_ACCOUNTS_BATCH),
          )) ?? 0,
      };
      if (Object.values(counts).some((count) => count > 0)) {
        this.logger.log({ msg: 'Housekeeping done', ...counts });
      }
      return counts;
    } catch (error) {
      this.logger.warn({ msg: 'Housekeeping failed; next hour will retry', err: error });
      return { sessions: 0, events: 0, loginFailures: 0, revocations: 0, closedAccounts: 0 };
    }
  }

  /** Batches of `size` rows, resting between two (see REST_PER_BATCH_TIME) until shutdown. */
  private batches(size: number): Batches {
    return {
      size,
      rest: async (batchMs) => {
        if (!this.stopped) await delay(batchMs * REST_PER_BATCH_TIME);
        return !this.stopped;
      },
    };
  }
}
