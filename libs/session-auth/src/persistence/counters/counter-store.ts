/** A counter in a fixed window: how many hits so far, and when the window closes. */
export interface WindowCount {
  count: number;
  resetInMs: number;
}

/**
 * Counters that expire, for rate limits: in this process, or in Redis so that every instance
 * shares them. Each operation is atomic, so parallel requests never race past a limit. Both may
 * forget a count (a full memory store drops its oldest, an unreachable Redis falls back to this
 * process), which a rate limit can afford and the login lockout could not: it counts in
 * PostgreSQL instead.
 */
export abstract class CounterStore {
  /** Adds one to `key`; its window of `windowMs` opens with the first hit and never slides. */
  abstract hit(key: string, windowMs: number): Promise<WindowCount>;

  /**
   * Like `hit`, unless `claimKey` was claimed before: then nothing is counted and null comes back.
   * A hit that stays within `limit` claims `claimKey` for `claimTtlMs`, in the same atomic step.
   */
  abstract hitUnlessClaimed(
    key: string,
    windowMs: number,
    limit: number,
    claimKey: string,
    claimTtlMs: number,
  ): Promise<WindowCount | null>;

  /** Forgets a claim of `hitUnlessClaimed`, so that the next hit with `claimKey` counts again. */
  abstract releaseClaim(claimKey: string): Promise<void>;
}
