import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { SecurityEventsRepository } from '../users/security-events.repository';
import { SessionsRepository } from './sessions.repository';

const DAY = 86_400_000;
export const ENDED_SESSION_RETENTION_MS = 30 * DAY;
export const SECURITY_EVENT_RETENTION_MS = 90 * DAY;

/**
 * Deletes what no one needs any more: sessions ended 30 days ago (their tokens go with them), and
 * security events after 90. Runs at start, then every hour.
 */
@Injectable()
export class HousekeepingService implements OnApplicationBootstrap {
  private readonly logger = new Logger(HousekeepingService.name);

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly events: SecurityEventsRepository,
  ) {}

  onApplicationBootstrap(): void {
    void this.run();
  }

  @Cron(CronExpression.EVERY_HOUR, { name: 'housekeeping' })
  async run(now = Date.now()): Promise<{ sessions: number; events: number }> {
    try {
      const sessions = await this.sessions.deleteEndedBefore(
        new Date(now - ENDED_SESSION_RETENTION_MS),
      );
      const events = await this.events.deleteOlderThan(new Date(now - SECURITY_EVENT_RETENTION_MS));
      if (sessions || events) this.logger.log({ msg: 'Housekeeping done', sessions, events });
      return { sessions, events };
    } catch (error) {
      this.logger.warn({ msg: 'Housekeeping failed; next hour will retry', err: error });
      return { sessions: 0, events: 0 };
    }
  }
}
