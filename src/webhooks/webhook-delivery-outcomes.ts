import { Injectable } from '@nestjs/common';
import type { SecurityEventType } from '@session-service/nestjs';

/**
 * `delivered`: the receiver answered 2xx. `failed`: an attempt failed and will be retried.
 * `dead`: the last attempt failed, 24 h after the event; it is not retried.
 */
export type WebhookDeliveryOutcome = 'delivered' | 'failed' | 'dead';

export type WebhookDeliveryListener = (
  outcome: WebhookDeliveryOutcome,
  eventType: SecurityEventType,
) => void;

/**
 * Each delivery attempt's outcome, for whoever counts them (the metrics): subscribe with
 * `onOutcome`, e.g. `outcomes.onOutcome((outcome) => counter.inc({ outcome }))`.
 */
@Injectable()
export class WebhookDeliveryOutcomes {
  private readonly listeners = new Set<WebhookDeliveryListener>();

  /** Calls `listener` after every attempt; the function returned unsubscribes it. */
  onOutcome(listener: WebhookDeliveryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  record(outcome: WebhookDeliveryOutcome, eventType: SecurityEventType): void {
    for (const listener of this.listeners) listener(outcome, eventType);
  }
}
