import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

interface Statistic {
  name: string;
  help: string;
  aggregator: 'min' | 'max' | 'average';
  read: (histogram: IntervalHistogram) => number;
}

const statistic = (
  key: string,
  help: string,
  aggregator: Statistic['aggregator'],
  read: Statistic['read'],
): Statistic => ({ name: `nodejs_eventloop_lag_${key}_seconds`, help, aggregator, read });

/** prom-client's event-loop delay statistics: its names, help texts and cluster aggregators. */
const STATISTICS: readonly Statistic[] = [
  statistic('min', 'The minimum recorded event loop delay.', 'min', (h) => h.min),
  statistic('max', 'The maximum recorded event loop delay.', 'max', (h) => h.max),
  statistic('mean', 'The mean of the recorded event loop delays.', 'average', (h) => h.mean),
  statistic(
    'stddev',
    'The standard deviation of the recorded event loop delays.',
    'average',
    (h) => h.stddev,
  ),
  ...[50, 90, 99].map((percentile) =>
    statistic(
      `p${percentile}`,
      `The ${percentile}th percentile of the recorded event loop delays.`,
      'average',
      (h) => h.percentile(percentile),
    ),
  ),
];

/**
 * Replaces the event-loop delay statistics of prom-client's default metrics in `registry` with the
 * same series that never read an empty window.
 *
 * prom-client reads them from a histogram that it resets at every scrape and that samples every
 * 10 ms: a scrape within 10 ms of the one before (two Prometheus servers of a high-availability
 * pair, or a person's curl beside the scraper) finds no sample and reports a mean of NaN, written
 * `Nan` (which strict parsers of the text format refuse), a minimum of 9.2e9 seconds and a maximum
 * of 0. Here a scrape that finds no new sample reports the last window that had some (zeros before
 * the first); each scrape that finds samples starts a new window, as prom-client's does.
 * `nodejs_eventloop_lag_seconds`, measured at each scrape, stays prom-client's.
 */
export function replaceEventLoopDelayStatistics(registry: Registry, resolutionMs = 10): void {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  let window = STATISTICS.map(() => 0);
  STATISTICS.forEach(({ name, help, aggregator }, index) => {
    registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      aggregator,
      registers: [registry],
      // Every gauge may come first in a scrape: whichever finds samples takes the window.
      collect() {
        if (histogram.count > 0) {
          window = STATISTICS.map(({ read }) => read(histogram) / 1e9);
          histogram.reset();
        }
        this.set(window[index]);
      },
    });
  });
}
