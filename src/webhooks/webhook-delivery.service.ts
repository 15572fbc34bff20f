import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { AppConfig } from '../config/app-config';
import { nextAttempt, RETRY_HORIZON_MS } from './retry-schedule';
import { WebhookDeliveryOutcomes } from './webhook-delivery-outcomes';
import { ClaimedDelivery, WebhookOutboxRepository } from './webhook-outbox.repository';
import { webhookRequest } from './webhook-request';

/** No answer within this long is a failed attempt. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** Longer than an attempt can take (its timeout, then recording its outcome). */
const LEASE_MS = DELIVERY_TIMEOUT_MS + 5_000;
const POLL_INTERVAL_MS = 1_000;
/** Attempts in flight at once per process. */
const BATCH_SIZE = 10;
const HOUR = 3_600_000;
const PRUNE_INTERVAL_MS = HOUR;
/** How long a dead delivery stays in the outbox for an operator to look at. */
const DEAD_RETENTION_MS = 7 * 24 * HOUR;
/** Rows a pruning statement deletes at most: no statement or lock grows with the outbox. */
const PRUNE_BATCH = 1_000;
/** Between two pruning statements, this many times as long as the last one took. */
const PRUNE_REST_FACTOR = 3;

interface Target {
  url: string;
  signer: Webhook;
}

/**
 * Delivers the webhook outbox to WEBHOOK_URL, in the background of every instance: a request only
 * ever writes the outbox row (in its own transaction, through the trigger), never waits for a
 * delivery. Each round claims what is due under a lease, POSTs it, and records the outcome; a
 * process that dies mid-attempt leaves leased rows that another instance, or this one restarted,
 * claims when the lease runs out. Also prunes the outbox every hour, webhooks on or off.
 */
@Injectable()
export class WebhookDeliveryService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookDeliveryService.name);
  private readonly target: Target | null;
  private readonly inFlight = new Set<AbortController>();
  private stopping = false;
  private round: Promise<void> = Promise.resolve();
  private pruning: Promise<void> | null = null;
  private pollTimer?: NodeJS.Timeout;
  private pruneTimer?: NodeJS.Timeout;
  /** Logs an unreachable outbox once per outage rather than every second. */
  private outboxUnreachable = false;

  constructor(
    config: AppConfig,
    private readonly outbox: WebhookOutboxRepository,
    private readonly outcomes: WebhookDeliveryOutcomes,
  ) {
    this.target = config.webhook
      ? { url: config.webhook.url, signer: new Webhook(config.webhook.secret) }
      : null;
  }

  onApplicationBootstrap(): void {
    this.startPrune();
    this.pruneTimer = setInterval(() => this.startPrune(), PRUNE_INTERVAL_MS).unref();
    if (this.target) this.schedule(this.target, 0);
  }

  /**
   * Stops claiming and abandons the attempts in flight, handing them back so that another
   * instance takes them at once: a receiver that never answers must not hold the shutdown. Runs
   * before the DataSource closes (that happens at application shutdown).
   */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.pollTimer);
    clearInterval(this.pruneTimer);
    for (const controller of this.inFlight) controller.abort();
    await Promise.all([this.round, this.pruning]);
  }

  /** One prune at a time: a slow one is not joined by the next hour's. */
  private startPrune(): void {
    this.pruning ??= this.prune().finally(() => (this.pruning = null));
  }

  /**
   * With webhooks off nothing delivers the outbox, so nothing older than the retry horizon is
   * kept (such an event could get one attempt at most): a day of events at most, delivered if
   * webhooks are turned on within it. With them on, dead deliveries are kept a week. A batch at a
   * time through an index, resting between two, until a batch comes back short or the service
   * stops: however much there is, no statement outgrows the query timeout.
   */
  private async prune(): Promise<void> {
    const now = Date.now();
    const deleteBatch = this.target
      ? (limit: number) => this.outbox.deleteDeadBefore(new Date(now - DEAD_RETENTION_MS), limit)
      : (limit: number) =>
          this.outbox.deleteRecordedBefore(new Date(now - RETRY_HORIZON_MS), limit);
    try {
      let deleted = 0;
      for (;;) {
        const started = performance.now();
        const batch = await deleteBatch(PRUNE_BATCH);
        deleted += batch;
        if (batch < PRUNE_BATCH || this.stopping) break;
        await sleep(PRUNE_REST_FACTOR * (performance.now() - started));
      }
      if (deleted) this.logger.log({ msg: 'Webhook outbox pruned', deleted });
    } catch (error) {
      this.logger.warn({
        msg: 'Pruning the webhook outbox failed; next hour will retry',
        err: error,
      });
    }
  }

  private schedule(target: Target, delayMs: number): void {
    if (this.stopping) return;
    this.pollTimer = setTimeout(() => {
      this.round = this.deliverDue(target)
        .catch((error: unknown) => {
          this.logger.error({ msg: 'Webhook delivery round failed', err: error });
          return false;
        })
        .then((more) => this.schedule(target, more ? 0 : POLL_INTERVAL_MS));
    }, delayMs);
  }

  /** One round: what is due, attempted in parallel. True when more may be due at once. */
  private async deliverDue(target: Target): Promise<boolean> {
    let claimed: ClaimedDelivery[];
    try {
      claimed = await this.outbox.claim(BATCH_SIZE, LEASE_MS);
    } catch (error) {
      if (!this.outboxUnreachable) {
        this.logger.warn({ msg: 'Webhook outbox unreachable; deliveries wait for it', err: error });
      }
      this.outboxUnreachable = true;
      return false;
    }
    this.outboxUnreachable = false;
    await Promise.all(claimed.map((delivery) => this.attempt(target, delivery)));
    return claimed.length === BATCH_SIZE;
  }

  private async attempt(target: Target, delivery: ClaimedDelivery): Promise<void> {
    const failure = await this.send(target, delivery);
    try {
      if (failure === null) {
        await this.outbox.delivered(delivery);
        this.logger.debug({
          msg: 'Webhook delivered',
          webhookId: delivery.id,
          type: delivery.type,
          attempts: delivery.attempts,
        });
        this.outcomes.record('delivered', delivery.type);
      } else if (this.stopping) {
        await this.outbox.release(delivery);
      } else {
        await this.recordFailure(delivery, failure);
      }
    } catch (error) {
      // The lease runs out and the event is attempted again: at least once still holds.
      this.logger.warn({
        msg: 'Could not record a webhook attempt; the event will be attempted again',
        webhookId: delivery.id,
        err: error,
      });
    }
  }

  /** Null when the receiver answered 2xx, or why the attempt failed. Never throws. */
  private async send(target: Target, delivery: ClaimedDelivery): Promise<string | null> {
    const { body, headers } = webhookRequest(target.signer, delivery, new Date());
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), DELIVERY_TIMEOUT_MS);
    this.inFlight.add(controller);
    try {
      // A redirect is a failure, not followed: the receiver is the URL configured, nothing else.
      const response = await fetch(target.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: controller.signal,
      });
      await response.body?.cancel();
      return response.status >= 200 && response.status < 300 ? null : `HTTP ${response.status}`;
    } catch (error) {
      if (controller.signal.aborted) {
        return this.stopping ? 'abandoned at shutdown' : `no answer in ${DELIVERY_TIMEOUT_MS} ms`;
      }
      // fetch's own message is "fetch failed"; the cause says what happened (ECONNREFUSED...).
      const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
      return String(cause?.code ?? cause?.message ?? (error as Error).message ?? error);
    } finally {
      clearTimeout(timeout);
      this.inFlight.delete(controller);
    }
  }

  private async recordFailure(delivery: ClaimedDelivery, failure: string): Promise<void> {
    const next = nextAttempt(delivery.attempts, delivery.at, Date.now());
    // Never the URL: it may carry the receiver's token.
    const context = {
      webhookId: delivery.id,
      type: delivery.type,
      attempts: delivery.attempts,
      failure,
    };
    if (next === 'dead') {
      await this.outbox.bury(delivery, failure);
      this.logger.error({
        msg: 'Webhook delivery dead: no success within 24 h of the event',
        ...context,
      });
      this.outcomes.record('dead', delivery.type);
    } else {
      await this.outbox.retryLater(delivery, next.retryInMs, failure);
      this.logger.warn({ msg: 'Webhook delivery failed; will retry', ...context, ...next });
      this.outcomes.record('failed', delivery.type);
    }
  }
}
