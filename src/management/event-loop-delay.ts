import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

type Aggregator = 'min' | 'max' | 'average';

/** prom-client's event-loop delay statistics: its names, help texts and cluster aggregators. */
const STATISTICS: readonly {
  name: string;
  help: string;
  aggregator: Aggregator;
  read: (histogram: IntervalHistogram) => number;
}[] = [
  {
    name: 'nodejs_eventloop_lag_min_seconds',
    help: 'The minimum recorded event loop delay.',
    aggregator: 'min',
    read: (histogram) => histogram.min,
  },
  {
    name: 'nodejs_eventloop_lag_max_seconds',
    help: 'The maximum recorded event loop delay.',
    aggregator: 'max',
    read: (histogram) => histogram.max,
  },
  {
    name: 'nodejs_eventloop_lag_mean_seconds',
    help: 'The mean of the recorded event loop delays.',
    aggregator: 'average',
    read: (histogram) => histogram.mean,
  },
  {
    name: 'nodejs_eventloop_lag_stddev_seconds',
    help: 'The standard deviation of the recorded event loop delays.',
    aggregator: 'average',
    read: (histogram) => histogram.stddev,
  },
  ...[50, 90, 99].map((percentile) => ({
    name: `nodejs_eventloop_lag_p${percentile}_seconds`,
    help: `The ${percentile}th percentile of the recorded event loop delays.`,
    aggregator: 'average' as const,
    read: (histogram: IntervalHistogram) => histogram.percentile(percentile),
  })),
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
