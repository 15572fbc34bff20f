/** A counter in a fixed window: how many hits so far, and when the window closes. */
export interface WindowCount {
  count: number;
  resetInMs: number;
}

/**
 * Counters that expire, for rate limits and login lockout: in this process, or in Redis so that
 * every instance shares them. Each operation is atomic, so parallel requests never race past a
 * limit.
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

  /** The count in the open window, without adding to it: null when no window is open. */
  abstract peek(key: string): Promise<WindowCount | null>;

  abstract reset(key: string): Promise<void>;
}
