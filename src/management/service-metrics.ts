import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  LoginOutcome,
  RefreshOutcome,
  RevocationReason,
  SessionAuthObserver,
} from '@session-service/nestjs';
import type {
  WebhookDeliveryOutcome,
  WebhookDeliveryOutcomes,
} from '../webhooks/webhook-delivery-outcomes';
import { replaceEventLoopDelayStatistics } from './event-loop-delay';

/** The `route` label of a request that matched no route: never the raw path, whatever it was. */
export const UNMATCHED_ROUTE = '(unmatched)';

const LOGIN_OUTCOMES = [
  'success',
  'invalid_credentials',
  'locked',
  'rate_limited',
] as const satisfies readonly LoginOutcome[];
const REFRESH_OUTCOMES = [
  'rotated',
  'replayed',
  'reused',
  'expired',
  'revoked',
  'invalid',
] as const satisfies readonly RefreshOutcome[];

const WEBHOOK_OUTCOMES = [
  'delivered',
  'failed',
  'dead',
] as const satisfies readonly WebhookDeliveryOutcome[];

/**
 * The service's Prometheus metrics, in a registry of their own beside the runtime's default ones:
 * HTTP request durations from a Fastify hook, and the library's outcomes as its observer. With
 * `WEB_CONCURRENCY` > 1 every worker has one, and the primary sums them per series (gauges
 * excepted: see each one).
 */
export class ServiceMetrics implements SessionAuthObserver {
  readonly registry = new Registry();

  private readonly requestDuration = new Histogram({
    name: 'session_service_http_request_duration_seconds',
    help: 'Time to answer an HTTP request on the public port, by route pattern',
    labelNames: ['method', 'route', 'status_code'] as const,
    // Finer than the defaults below 5 ms: a guarded request takes about a millisecond.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly logins = new Counter({
    name: 'session_service_logins_total',
    help: 'Sign-ins (POST /auth/login) by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly refreshes = new Counter({
    name: 'session_service_refreshes_total',
    help: 'Refreshes (POST /auth/refresh) by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly revocations = new Counter({
    name: 'session_service_revocations_total',
    help: 'Sessions revoked, by reason, counted by the instance that revoked them',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly webhookDeliveries = new Counter({
    name: 'session_service_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, failed (retried later) or dead (given up)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  // Every worker holds the same set (each learns every revocation), so the largest is the set.
  private readonly revokedSessions = new Gauge({
    name: 'session_service_revoked_sessions',
    help: 'Revoked sessions held in memory, whose access tokens are refused without a database read',
    aggregator: 'max',
    registers: [this.registry],
  });

  // 1 only when every worker's listener is up: one without it misses other instances' revocations.
  private readonly listenerUp = new Gauge({
    name: 'session_service_revocation_listener_up',
    help: 'Whether the connection that brings revocations from other instances is up (1) or not (0)',
    aggregator: 'min',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    replaceEventLoopDelayStatistics(this.registry);
    // Every outcome is a series from the start, so that a rate over a new one is never empty.
    for (const outcome of LOGIN_OUTCOMES) this.logins.labels(outcome).inc(0);
    for (const outcome of REFRESH_OUTCOMES) this.refreshes.labels(outcome).inc(0);
    for (const outcome of WEBHOOK_OUTCOMES) this.webhookDeliveries.labels(outcome).inc(0);
    this.revokedSessions.set(0);
    this.listenerUp.set(0);
  }

  /** Times every request that Fastify answers, labelled with its route's pattern. */
  observeRequests(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      this.requestDuration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? UNMATCHED_ROUTE,
          status_code: reply.statusCode,
        },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }

  /** Counts every webhook delivery attempt of this process. */
  observeWebhooks(outcomes: WebhookDeliveryOutcomes): void {
    outcomes.onOutcome((outcome) => this.webhookDeliveries.labels(outcome).inc());
  }

  login(outcome: LoginOutcome): void {
    this.logins.labels(outcome).inc();
  }

  refresh(outcome: RefreshOutcome): void {
    this.refreshes.labels(outcome).inc();
  }

  sessionsRevoked(reason: RevocationReason, count: number): void {
    this.revocations.labels(reason).inc(count);
  }

  revokedSessionsInMemory(count: number): void {
    this.revokedSessions.set(count);
  }

  revocationListenerUp(up: boolean): void {
    this.listenerUp.set(up ? 1 : 0);
  }
}
