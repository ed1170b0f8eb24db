import { Global, Module } from '@nestjs/common';
import { WebhookDeliveryWorker } from './webhook-delivery.worker.js';
import { WebhookSettingsController, WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/** Global so any feature can inject {@link WebhooksService} to `emit` its events. */
@Global()
@Module({
  controllers: [WebhooksController, WebhookSettingsController],
  providers: [WebhooksService, WebhookDeliveryWorker],
  exports: [WebhooksService],
})
export class WebhooksModule {}
