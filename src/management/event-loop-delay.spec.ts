import { ServiceMetrics } from './service-metrics';

const STATISTICS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'];

/** The event-loop delay statistics of one scrape, by name, from the text a scraper reads. */
async function scrapeDelays(metrics: ServiceMetrics): Promise<Record<string, string>> {
  const text = await metrics.registry.metrics();
  const delays: Record<string, string> = {};
  for (const statistic of STATISTICS) {
    const line = new RegExp(`^nodejs_eventloop_lag_${statistic}_seconds (\\S+)$`, 'm').exec(text);
    expect(line).not.toBeNull();
    delays[statistic] = line![1];
  }
  return delays;
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectPlausible(delays: Record<string, string>): void {
  for (const value of Object.values(delays)) {
    expect(value).toMatch(/^\d+(\.\d+)?(e-?\d+)?$/);
    expect(Number(value)).toBeLessThan(60);
  }
  expect(Number(delays.min)).toBeLessThanOrEqual(Number(delays.mean));
  expect(Number(delays.mean)).toBeLessThanOrEqual(Number(delays.max));
}

describe('event-loop delay statistics', () => {
  it('a scrape right after another reports the last window, never NaN or an empty histogram', async () => {
    const metrics = new ServiceMetrics();
    await tick(50);
    const first = await scrapeDelays(metrics);
    // No timer can fire between these two: the second finds the histogram without a sample.
    const second = await scrapeDelays(metrics);
    expectPlausible(first);
    expectPlausible(second);
    expect(second).toEqual(first);
  });

  it('a scrape after new samples starts a new window', async () => {
    const metrics = new ServiceMetrics();
    await tick(50);
    await scrapeDelays(metrics);
    // A reset histogram measures from its next sample: one comes before the event loop is held.
    await tick(25);
    const blockedUntil = Date.now() + 80;
    while (Date.now() < blockedUntil) {
      // The event loop held: the next sample is at least 60 ms late.
    }
    await tick(30);
    const after = await scrapeDelays(metrics);
    expectPlausible(after);
    expect(Number(after.max)).toBeGreaterThanOrEqual(0.06);
  });
});
