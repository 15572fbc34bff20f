import { VerifiedTokenCache } from './verified-token-cache';

const T0 = Date.parse('2026-01-01T12:00:00.000Z');
const EXP = T0 / 1000 + 60;

describe('VerifiedTokenCache', () => {
  it('answers a remembered token until the second its exp names, as the verifier does', () => {
    const cache = new VerifiedTokenCache<string>(10, 0);
    cache.set('token', 'claims', EXP);
    expect(cache.get('token', T0)).toBe('claims');
    expect(cache.get('token', EXP * 1000 - 1)).toBe('claims');
    expect(cache.get('token', EXP * 1000)).toBeUndefined();
  });

  it('drops an expired entry, so that the caller verifies (and refuses) the token again', () => {
    const cache = new VerifiedTokenCache<string>(10, 0);
    cache.set('token', 'claims', EXP);
    expect(cache.get('token', EXP * 1000 + 5_000)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.get('token', T0)).toBeUndefined();
  });

  it('honours the clock tolerance like the verifier', () => {
    const cache = new VerifiedTokenCache<string>(10, 30);
    cache.set('token', 'claims', EXP);
    expect(cache.get('token', (EXP + 29) * 1000)).toBe('claims');
    expect(cache.get('token', (EXP + 30) * 1000)).toBeUndefined();
  });

  it('matches the exact string only', () => {
    const cache = new VerifiedTokenCache<string>(10, 0);
    cache.set('header.payload.signature', 'claims', EXP);
    expect(cache.get('header.payload.signaturf', T0)).toBeUndefined();
    expect(cache.get('header.payload.signature ', T0)).toBeUndefined();
  });

  it('is found by the tail of a token, but answers only the whole token it verified', () => {
    const cache = new VerifiedTokenCache<string>(10, 0);
    const signature = 'S'.repeat(86);
    const verified = `eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLWEifQ.${signature}`;
    cache.set(verified, 'claims of user a', EXP);
    // Another payload under the same signature: what a forger would try.
    const forged = `eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLWIifQ.${signature}`;
    expect(cache.get(forged, T0)).toBeUndefined();
    expect(cache.get(verified, T0)).toBe('claims of user a');
    // A miss does not evict the entry, and a later verified token with that tail replaces it.
    cache.set(forged, 'claims of user b', EXP);
    expect(cache.get(forged, T0)).toBe('claims of user b');
    expect(cache.get(verified, T0)).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('compares the whole token in the previous generation too', () => {
    const cache = new VerifiedTokenCache<number>(4, 0);
    const tail = 'T'.repeat(50);
    cache.set(`a.${tail}`, 1, EXP);
    cache.set('b', 2, EXP);
    cache.set('c', 3, EXP); // the generation of two is full: `a…` and `b` become the previous one
    expect(cache.get(`z.${tail}`, T0)).toBeUndefined();
    expect(cache.get(`a.${tail}`, T0)).toBe(1);
  });

  it('keeps at most its capacity, forgetting the least recently used first', () => {
    const cache = new VerifiedTokenCache<number>(4, 0);
    cache.set('t1', 1, EXP);
    cache.set('t2', 2, EXP);
    cache.set('t3', 3, EXP);
    expect(cache.get('t1', T0)).toBe(1);
    cache.set('t4', 4, EXP);
    expect(cache.get('t2', T0)).toBeUndefined();
    expect([cache.get('t1', T0), cache.get('t3', T0), cache.get('t4', T0)]).toEqual([1, 3, 4]);
    for (let n = 5; n < 1_000; n++) {
      cache.set(`t${n}`, n, EXP);
      expect(cache.size).toBeLessThanOrEqual(4);
    }
  });

  it('drops an expired entry found in the older generation too', () => {
    const cache = new VerifiedTokenCache<string>(2, 0);
    cache.set('old', 'claims', EXP);
    cache.set('new', 'claims', EXP + 600);
    expect(cache.get('old', EXP * 1000)).toBeUndefined();
    expect(cache.get('new', EXP * 1000)).toBe('claims');
    expect(cache.size).toBe(1);
  });
});
