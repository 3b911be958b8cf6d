import { bootstrapWorker } from '@app/queue';
import { NotificationWorkerModule } from './notification-worker.module';

void bootstrapWorker('notification-worker', 'notifier', (config) => NotificationWorkerModule.forRoot(config));
