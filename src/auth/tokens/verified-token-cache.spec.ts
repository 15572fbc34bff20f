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

  it('keeps at most its capacity, forgetting the least recently used first', () => {
    const cache = new VerifiedTokenCache<number>(3, 0);
    for (const n of [1, 2, 3]) cache.set(`t${n}`, n, EXP);
    expect(cache.get('t1', T0)).toBe(1);
    cache.set('t4', 4, EXP);
    expect(cache.size).toBe(3);
    expect(cache.get('t2', T0)).toBeUndefined();
    expect([cache.get('t1', T0), cache.get('t3', T0), cache.get('t4', T0)]).toEqual([1, 3, 4]);
  });
});
