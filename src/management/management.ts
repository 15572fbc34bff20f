import type { INestApplicationContext } from '@nestjs/common';
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import { HealthController } from '../health/health.controller';
import { type HealthAnswer, startManagementServer, unavailable } from './management-server';
import { ServiceMetrics } from './service-metrics';

const READY_REQUEST = 'session-service:ready?';
const READY_ANSWER = 'session-service:ready';
/** Longer than the database check itself (1.5 s), so that a slow database answers 503, not this. */
const READY_TIMEOUT_MS = 2_500;

interface ReadyRequest {
  type: typeof READY_REQUEST;
  id: number;
}
interface ReadyAnswer {
  type: typeof READY_ANSWER;
  id: number;
  answer: HealthAnswer;
}

/** One process: the management port beside the app, on its metrics and its readiness check. */
export function startManagement(
  host: string,
  port: number,
  app: INestApplicationContext,
  metrics: ServiceMetrics,
): Promise<Server> {
  return startManagementServer(host, port, {
    metrics: async () => ({
      contentType: metrics.registry.contentType,
      text: await metrics.registry.metrics(),
    }),
    ready: () => readinessOf(app),
  });
}

/**
 * A cluster's worker: answers the primary, which serves the management port, with its metrics
 * (prom-client's own messages) and its readiness.
 */
export function answerPrimary(app: INestApplicationContext, metrics: ServiceMetrics): void {
  AggregatorRegistry.setRegistries(metrics.registry);
  // Constructing one installs the worker's answer to the primary's scrape requests.
  new AggregatorRegistry();
  process.on('message', (message: Partial<ReadyRequest>) => {
    if (message?.type !== READY_REQUEST || typeof message.id !== 'number') return;
    const id = message.id;
    void readinessOf(app).then((answer) =>
      process.send?.({ type: READY_ANSWER, id, answer } satisfies ReadyAnswer),
    );
  });
}

/**
 * A cluster's primary: the management port for every worker. One scrape sums the workers'
 * metrics; readiness is a worker's that answers ready (any one can take the next request).
 */
export function startClusterManagement(host: string, port: number): Promise<Server> {
  const aggregator = new AggregatorRegistry();
  return startManagementServer(host, port, {
    metrics: async () => ({
      contentType: aggregator.contentType,
      text: await aggregator.clusterMetrics(),
    }),
    ready: askWorkersReadiness(),
  });
}

/** The database check of `GET /health/ready`, as the public route runs it. */
async function readinessOf(app: INestApplicationContext): Promise<HealthAnswer> {
  try {
    return { statusCode: 200, body: await app.get(HealthController).ready() };
  } catch {
    return unavailable('The database does not answer.');
  }
}

function askWorkersReadiness(): () => Promise<HealthAnswer> {
  const pending = new Map<number, { waiting: number; settle: (answer: HealthAnswer) => void }>();
  let nextId = 0;
  cluster.on('message', (_worker, message: Partial<ReadyAnswer>) => {
    if (message?.type !== READY_ANSWER || typeof message.id !== 'number' || !message.answer) return;
    const request = pending.get(message.id);
    if (!request) return;
    request.waiting--;
    if (message.answer.statusCode === 200) request.settle(message.answer);
    else if (request.waiting === 0) request.settle(message.answer);
  });

  return () =>
    new Promise<HealthAnswer>((resolve) => {
      const id = nextId++;
      const workers = Object.values(cluster.workers ?? {}).filter((worker) =>
        worker?.isConnected(),
      );
      if (workers.length === 0) return resolve(unavailable('No worker is serving yet.'));
      const timer = setTimeout(
        () => settle(unavailable('No worker answered in time.')),
        READY_TIMEOUT_MS,
      );
      const settle = (answer: HealthAnswer) => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(answer);
      };
      pending.set(id, { waiting: workers.length, settle });
      for (const worker of workers)
        worker!.send({ type: READY_REQUEST, id } satisfies ReadyRequest);
    });
}
