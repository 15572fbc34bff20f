import { jest } from '@jest/globals';
import { MemoryCounterStore } from './memory-counter-store';

describe('MemoryCounterStore', () => {
  afterEach(() => jest.useRealTimers());

  it('counts in a fixed window that opens with the first hit', async () => {
    jest.useFakeTimers({ now: 0 });
    const store = new MemoryCounterStore();
    expect(await store.hit('k', 1_000)).toEqual({ count: 1, resetInMs: 1_000 });
    jest.setSystemTime(400);
    expect(await store.hit('k', 1_000)).toEqual({ count: 2, resetInMs: 600 });
    jest.setSystemTime(1_000);
    expect(await store.hit('k', 1_000)).toEqual({ count: 1, resetInMs: 1_000 });
  });

  it('does not count a claimed key, and claims only hits within the limit', async () => {
    jest.useFakeTimers({ now: 0 });
    const store = new MemoryCounterStore();
    expect(await store.hitUnlessClaimed('k', 60_000, 1, 'a', 5_000)).toEqual({
      count: 1,
      resetInMs: 60_000,
    });
    expect(await store.hitUnlessClaimed('k', 60_000, 1, 'a', 5_000)).toBeNull();
    // Over the limit: counted and refused, and not claimed, so its repeat counts too.
    expect((await store.hitUnlessClaimed('k', 60_000, 1, 'b', 5_000))?.count).toBe(2);
    expect((await store.hitUnlessClaimed('k', 60_000, 1, 'b', 5_000))?.count).toBe(3);
    jest.setSystemTime(5_000);
    expect((await store.hitUnlessClaimed('k', 60_000, 1, 'a', 5_000))?.count).toBe(4);
  });

  it('stays bounded: expired entries go first, then the oldest', async () => {
    jest.useFakeTimers({ now: 0 });
    const store = new MemoryCounterStore(3);
    await store.hit('short', 10);
    await store.hit('old', 60_000);
    await store.hit('mid', 60_000);
    jest.setSystemTime(20);
    await store.hit('new', 60_000); // 'short' has expired: it makes the room
    await store.hit('newer', 60_000); // full of live windows: the oldest, 'old', goes
    expect(store.size).toBe(3);
    expect((await store.hit('mid', 60_000)).count).toBe(2);
    expect((await store.hit('old', 60_000)).count).toBe(1);
  });

  it('releaseClaim makes the next hit with that claim count', async () => {
    const store = new MemoryCounterStore();
    expect((await store.hitUnlessClaimed('k', 60_000, 5, 'a', 5_000))?.count).toBe(1);
    expect(await store.hitUnlessClaimed('k', 60_000, 5, 'a', 5_000)).toBeNull();
    await store.releaseClaim('a');
    expect((await store.hitUnlessClaimed('k', 60_000, 5, 'a', 5_000))?.count).toBe(2);
  });
});
