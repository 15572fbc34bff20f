import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import {
  LoginFailuresRepository,
  SecurityEventsRepository,
  SessionsRepository,
} from '@session-service/nestjs/internal';

const DAY = 86_400_000;
export const ENDED_SESSION_RETENTION_MS = 30 * DAY;
export const SECURITY_EVENT_RETENTION_MS = 90 * DAY;
/** Rows per statement when deleting closed lockout windows: short statements, short row locks. */
export const LOGIN_FAILURES_BATCH = 1_000;

/**
 * Deletes what no one needs any more: sessions ended 30 days ago (their tokens go with them),
 * security events after 90, and lockout counters whose window has closed. Runs at start, then
 * every hour.
 */
@Injectable()
export class HousekeepingService implements OnApplicationBootstrap {
  private readonly logger = new Logger(HousekeepingService.name);

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly events: SecurityEventsRepository,
    private readonly loginFailures: LoginFailuresRepository,
  ) {}

  onApplicationBootstrap(): void {
    void this.run();
  }

  @Cron(CronExpression.EVERY_HOUR, { name: 'housekeeping' })
  async run(
    now = Date.now(),
  ): Promise<{ sessions: number; events: number; loginFailures: number }> {
    try {
      const sessions = await this.sessions.deleteEndedBefore(
        new Date(now - ENDED_SESSION_RETENTION_MS),
      );
      const events = await this.events.deleteOlderThan(new Date(now - SECURITY_EVENT_RETENTION_MS));
      const loginFailures = await this.loginFailures.deleteExpired(LOGIN_FAILURES_BATCH);
      if (sessions || events || loginFailures) {
        this.logger.log({ msg: 'Housekeeping done', sessions, events, loginFailures });
      }
      return { sessions, events, loginFailures };
    } catch (error) {
      this.logger.warn({ msg: 'Housekeeping failed; next hour will retry', err: error });
      return { sessions: 0, events: 0, loginFailures: 0 };
    }
  }
}
