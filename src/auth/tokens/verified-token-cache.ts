/**
 * A bounded, least-recently-used memo of access tokens whose signature and claims have passed
 * verification, keyed by the exact token string: a client sends the same access token on every
 * request for its lifetime, and checking an ES256 signature costs more than the rest of a guarded
 * request. A hit skips only the signature and claim checks, which cannot change for one string.
 * What can change is still checked on every request: `exp` against the clock, here, exactly as the
 * verifier does; the revoked-session set, by the caller.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, { value: T; expSec: number }>();

  constructor(
    private readonly capacity: number,
    private readonly clockToleranceSec: number,
  ) {}

  /** The verified value, unless absent or expired by now (an expired entry is dropped). */
  get(token: string, nowMs = Date.now()): T | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    // jose's test: expired when exp <= now - tolerance, in whole seconds.
    if (entry.expSec <= Math.floor(nowMs / 1000) - this.clockToleranceSec) return undefined;
    this.entries.set(token, entry);
    return entry.value;
  }

  /** Remembers a token that has just been verified, forgetting the least recently used beyond capacity. */
  set(token: string, value: T, expSec: number): void {
    this.entries.delete(token);
    this.entries.set(token, { value, expSec });
    if (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
