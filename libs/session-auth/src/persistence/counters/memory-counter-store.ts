import { CounterStore, WindowCount } from './counter-store';

/** Enough for every address that can be active in one window; beyond it, the oldest go. */
export const MAX_MEMORY_ENTRIES = 100_000;

/**
 * Counters in this process only: the store when no REDIS_URL is set, and the fallback while Redis
 * is unreachable. Bounded: expired entries are swept, and past MAX_MEMORY_ENTRIES the oldest
 * windows are forgotten first.
 */
export class MemoryCounterStore extends CounterStore {
  private readonly counters = new Map<string, { count: number; resetAt: number }>();
  private readonly claims = new Map<string, number>();

  constructor(private readonly maxEntries = MAX_MEMORY_ENTRIES) {
    super();
  }

  hit(key: string, windowMs: number): Promise<WindowCount> {
    return Promise.resolve(this.count(key, windowMs, Date.now()));
  }

  hitUnlessClaimed(
    key: string,
    windowMs: number,
    limit: number,
    claimKey: string,
    claimTtlMs: number,
  ): Promise<WindowCount | null> {
    const now = Date.now();
    const claimedUntil = this.claims.get(claimKey);
    if (claimedUntil !== undefined && claimedUntil > now) return Promise.resolve(null);
    const counted = this.count(key, windowMs, now);
    if (counted.count <= limit) {
      this.makeRoom(this.claims, now);
      this.claims.set(claimKey, now + claimTtlMs);
    }
    return Promise.resolve(counted);
  }

  releaseClaim(claimKey: string): Promise<void> {
    this.claims.delete(claimKey);
    return Promise.resolve();
  }

  get size(): number {
    return this.counters.size + this.claims.size;
  }

  private count(key: string, windowMs: number, now: number): WindowCount {
    let entry = this.counters.get(key);
    if (!entry || entry.resetAt <= now) {
      this.counters.delete(key);
      this.makeRoom(this.counters, now);
      entry = { count: 0, resetAt: now + windowMs };
      this.counters.set(key, entry);
    }
    entry.count += 1;
    return { count: entry.count, resetInMs: entry.resetAt - now };
  }

  /** Sweeps expired entries when the map is full, then drops the oldest until one fits. */
  private makeRoom<V>(map: Map<string, V>, now: number): void {
    if (map.size < this.maxEntries) return;
    for (const [key, value] of map) {
      const expiresAt = typeof value === 'number' ? value : (value as { resetAt: number }).resetAt;
      if (expiresAt <= now) map.delete(key);
    }
    for (const key of map.keys()) {
      if (map.size < this.maxEntries) break;
      map.delete(key);
    }
  }
}
