import { Module } from '@nestjs/common';
import { ConfirmationPageController } from './confirmation-page.controller';
import { ConfirmationPageService } from './confirmation-page.service';
import { ConfirmationsController } from './confirmations.controller';
import { ConfirmationsService } from './confirmations.service';
import { ServiceWorkerController } from './service-worker.controller';

/** What a customer meets out of band: the confirmation page, its decision endpoint, the push service worker. */
@Module({
  controllers: [ConfirmationPageController, ConfirmationsController, ServiceWorkerController],
  providers: [ConfirmationPageService, ConfirmationsService],
})
export class ConfirmationsModule {}
