import { bootstrapWorker } from '@app/queue';
import { ConfirmationServiceModule } from './confirmation-service.module';

void bootstrapWorker('confirmation-service', 'confirmer', (config) => ConfirmationServiceModule.forRoot(config));
