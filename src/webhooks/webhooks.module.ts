import { Module } from '@nestjs/common';
import { WebhookDeliveryOutcomes } from './webhook-delivery-outcomes';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookOutboxRepository } from './webhook-outbox.repository';

/**
 * Security events to WEBHOOK_URL, from the outbox the database fills (see the migration
 * webhook-outbox). Exports each attempt's outcome for the metrics.
 */
@Module({
  providers: [WebhookOutboxRepository, WebhookDeliveryOutcomes, WebhookDeliveryService],
  exports: [WebhookDeliveryOutcomes],
})
export class WebhooksModule {}
