const SECOND = 1_000;
const HOUR = 3_600 * SECOND;

/** How long a security event is retried before its delivery is given up as dead. */
export const RETRY_HORIZON_MS = 24 * HOUR;
const FIRST_RETRY_MS = SECOND;
const LONGEST_RETRY_MS = HOUR;

/**
 * What follows a failed attempt (`attempts` made so far): the delay before the next, doubling from
 * one second up to an hour (about 35 attempts in a day), each within ±20 % so that a receiver back
 * from an outage is not met by every instance's retries at the same moment; or death, when the
 * next attempt would fall past RETRY_HORIZON_MS after the event.
 */
export function nextAttempt(
  attempts: number,
  eventAt: Date,
  now: number,
  random: () => number = Math.random,
): { retryInMs: number } | 'dead' {
  const base = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
  const retryInMs = Math.round(base * (0.8 + 0.4 * random()));
  return now + retryInMs > eventAt.getTime() + RETRY_HORIZON_MS ? 'dead' : { retryInMs };
}
