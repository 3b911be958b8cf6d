import { bootstrapWorker } from '@app/queue';
import { NotificationWorkerModule } from './notification-worker.module';

void bootstrapWorker('notification-worker', (config) => NotificationWorkerModule.forRoot(config));
