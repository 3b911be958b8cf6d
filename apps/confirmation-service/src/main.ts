import { bootstrapWorker } from '@app/queue';
import { ConfirmationServiceModule } from './confirmation-service.module';

void bootstrapWorker('confirmation-service', (config) => ConfirmationServiceModule.forRoot(config));
