import type { SecurityEventType } from '@session-service/nestjs';
import type { Webhook } from 'standardwebhooks';
import type { ClaimedDelivery } from './webhook-outbox.repository';

/** The JSON body of a security event's webhook, as the contract writes it. */
export interface WebhookPayload {
  type: SecurityEventType;
  timestamp: string;
  data: {
    userId: string;
    sessionId: string | null;
    ip: string | null;
    userAgent: string | null;
    at: string;
  };
}

/**
 * The body and the Standard Webhooks headers of one attempt. The body is the same on every attempt
 * of an event, and so is `webhook-id`, by which a receiver drops duplicates; `webhook-timestamp` is
 * the attempt's, as receivers refuse a signature more than a few minutes old.
 */
export function webhookRequest(
  signer: Webhook,
  delivery: ClaimedDelivery,
  sentAt: Date,
): { body: string; headers: Record<string, string> } {
  const at = delivery.at.toISOString();
  const payload: WebhookPayload = {
    type: delivery.type,
    timestamp: at,
    data: {
      userId: delivery.userId,
      sessionId: delivery.sessionId,
      ip: delivery.ip,
      userAgent: delivery.userAgent,
      at,
    },
  };
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'session-service-webhooks',
      'webhook-id': delivery.id,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1_000)),
      'webhook-signature': signer.sign(delivery.id, sentAt, body),
    },
  };
}
