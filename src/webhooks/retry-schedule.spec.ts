import { nextAttempt, RETRY_HORIZON_MS } from './retry-schedule';

const HOUR = 3_600_000;
const at = new Date('2026-12-01T00:00:00Z');
const after = (ms: number) => at.getTime() + ms;
const middle = () => 0.5;

describe('nextAttempt', () => {
  it('doubles from one second, and never waits more than an hour', () => {
    const delays = [1, 2, 3, 4, 10, 12, 13, 40].map((attempts) =>
      nextAttempt(attempts, at, after(0), middle),
    );
    expect(delays).toEqual([
      { retryInMs: 1_000 },
      { retryInMs: 2_000 },
      { retryInMs: 4_000 },
      { retryInMs: 8_000 },
      { retryInMs: 512_000 },
      { retryInMs: 2_048_000 },
      { retryInMs: HOUR },
      { retryInMs: HOUR },
    ]);
  });

  it('spreads each delay within ±20 %', () => {
    expect(nextAttempt(4, at, after(0), () => 0)).toEqual({ retryInMs: 6_400 });
    expect(nextAttempt(4, at, after(0), () => 0.999_999)).toEqual({ retryInMs: 9_600 });
  });

  it('gives up once the next attempt would fall past 24 h after the event', () => {
    expect(nextAttempt(30, at, after(RETRY_HORIZON_MS - HOUR), middle)).toEqual({
      retryInMs: HOUR,
    });
    expect(nextAttempt(30, at, after(RETRY_HORIZON_MS - HOUR + 1), middle)).toBe('dead');
    // An event found long after it happened (webhooks just turned on) gets one attempt, no retry.
    expect(nextAttempt(1, at, after(2 * RETRY_HORIZON_MS), middle)).toBe('dead');
  });

  it('retries about 35 times in a day against a receiver that is down all along', () => {
    let now = after(0);
    let attempts = 1;
    for (let next = nextAttempt(attempts, at, now, middle); next !== 'dead'; attempts++) {
      now += next.retryInMs;
      next = nextAttempt(attempts + 1, at, now, middle);
    }
    expect(attempts).toBeGreaterThanOrEqual(30);
    expect(attempts).toBeLessThanOrEqual(40);
    expect(now).toBeLessThanOrEqual(after(RETRY_HORIZON_MS));
  });
});
