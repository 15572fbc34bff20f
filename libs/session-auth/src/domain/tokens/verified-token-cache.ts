interface Entry<T> {
  token: string;
  value: T;
  expSec: number;
}

/**
 * How many trailing characters of a token key its entry: signature characters, distinct for every
 * token signed. Hashing a whole token (500 characters and more) for each lookup cost more than the
 * rest of a remembered check; the tail alone costs a tenth, and the entry still holds the whole
 * token, compared exactly before it counts as a hit.
 */
const KEY_CHARS = 43;

/**
 * A bounded memo of access tokens whose signature and claims have passed verification, for the
 * exact token string: a client sends the same access token on every request for its lifetime,
 * and checking an ES256 signature costs more than the rest of a guarded request. A hit skips only
 * the signature and claim checks, which cannot change for one string. What can change is still
 * checked on every request: `exp` against the clock, here, exactly as the verifier does; the
 * revoked-session set, by the caller.
 *
 * Entries are found by the token's last characters and then compared in full (see KEY_CHARS), so
 * a token that shares a remembered one's tail, forged or not, is a miss, verified from scratch.
 *
 * Least recently used entries go first, in two generations (as in `hashlru`): a hit in the current
 * generation is one Map lookup, with no reordering; a hit in the previous one moves the entry to
 * the current one; when the current generation is full it becomes the previous one, and the
 * previous one is dropped. At most `capacity` entries are kept.
 */
export class VerifiedTokenCache<T> {
  private current = new Map<string, Entry<T>>();
  private previous = new Map<string, Entry<T>>();
  private readonly generation: number;

  constructor(
    capacity: number,
    private readonly clockToleranceSec: number,
  ) {
    this.generation = Math.max(1, Math.floor(capacity / 2));
  }

  /** The verified value, unless absent or expired by now (an expired entry is dropped). */
  get(token: string, nowMs = Date.now()): T | undefined {
    const key = keyOf(token);
    let entry = this.current.get(key);
    if (!entry) {
      entry = this.previous.get(key);
      if (!entry || entry.token !== token) return undefined;
      this.previous.delete(key);
      if (!this.expired(entry, nowMs)) this.store(key, entry);
    }
    if (entry.token !== token) return undefined;
    if (this.expired(entry, nowMs)) {
      this.current.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Remembers a token that has just been verified. */
  set(token: string, value: T, expSec: number): void {
    const key = keyOf(token);
    this.previous.delete(key);
    this.store(key, { token, value, expSec });
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** jose's test: expired when exp <= now - tolerance, in whole seconds. */
  private expired(entry: Entry<T>, nowMs: number): boolean {
    return entry.expSec <= Math.floor(nowMs / 1000) - this.clockToleranceSec;
  }

  private store(key: string, entry: Entry<T>): void {
    if (!this.current.has(key) && this.current.size >= this.generation) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, entry);
  }
}

function keyOf(token: string): string {
  return token.length > KEY_CHARS ? token.slice(-KEY_CHARS) : token;
}
