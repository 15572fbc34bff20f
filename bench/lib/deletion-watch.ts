/**
 * Watches housekeeping delete the ended sessions: polls, on a connection of its own, whether any
 * session ended more than 30 days ago is left, and whether a `DELETE FROM sessions` statement is
 * running, both on the database's clock (each poll's answer holds as of its statement's start,
 * when its snapshot was taken). "Any left" stops at the first row (through the `sessions_ended_on`
 * index), so that the polls cost the database little while the refreshes it measures run; the
 * first poll after the deletion walks the index entries it left behind, once.
 */
import { Client } from 'pg';
import { ENDED_BEFORE, HOUSEKEEPING_CUTOFF } from './population';

const POLL = `
  SELECT EXISTS (SELECT 1 FROM sessions WHERE ${ENDED_BEFORE(HOUSEKEEPING_CUTOFF)}) AS any_left,
         (SELECT extract(epoch FROM min(query_start)) * 1000 FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'
             AND query ILIKE '%DELETE FROM sessions%') AS deleting_since_ms,
         extract(epoch FROM statement_timestamp()) * 1000 AS now_ms`;

export class DeletionWatch {
  /** When the first DELETE statement was seen running (its query_start), database clock, ms. */
  startedAtMs: number | null = null;
  /** When no ended session was left, database clock, ms. */
  doneAtMs: number | null = null;
  /** When the watch began, database clock, ms: the second instance is started right after. */
  watchedFromMs = NaN;
  private readonly client: Client;
  private polling: Promise<void> | null = null;
  private stopped = false;

  constructor(
    url: string,
    private readonly intervalMs = 100,
  ) {
    this.client = new Client({ connectionString: url });
  }

  async start(): Promise<void> {
    await this.client.connect();
    const first = await this.poll();
    this.watchedFromMs = first.now;
    this.polling = this.loop();
  }

  get done(): boolean {
    return this.doneAtMs !== null;
  }

  /** ms from the first DELETE seen running to none left; null when none was seen. */
  get deletionMs(): number | null {
    return this.startedAtMs !== null && this.doneAtMs !== null
      ? this.doneAtMs - this.startedAtMs
      : null;
  }

  /** ms from the start of the watch to none left. */
  get sinceWatchedMs(): number | null {
    return this.doneAtMs !== null ? this.doneAtMs - this.watchedFromMs : null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.polling;
    await this.client.end();
  }

  private async loop(): Promise<void> {
    while (!this.stopped && !this.done) {
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
      await this.poll();
    }
  }

  private async poll(): Promise<{ now: number }> {
    const { rows } = await this.client.query<{
      any_left: boolean;
      deleting_since_ms: number | null;
      now_ms: number;
    }>(POLL);
    const { any_left: anyLeft, deleting_since_ms: since, now_ms: now } = rows[0];
    if (since !== null && this.startedAtMs === null) this.startedAtMs = Number(since);
    if (!anyLeft && this.doneAtMs === null && !Number.isNaN(this.watchedFromMs)) {
      this.doneAtMs = Number(now);
    }
    return { now: Number(now) };
  }
}
