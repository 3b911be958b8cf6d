import { AppConfig, ConfigModule } from '@app/config';
import { DatabaseModule } from '@app/database';
import { LivenessModule, QueueModule } from '@app/queue';
import { DynamicModule, Module } from '@nestjs/common';
import { SendOperatorAlert } from './alerts/send-operator-alert';
import { SendSecurityAlert } from './alerts/send-security-alert';
import { ChallengeIssuer } from './challenges/challenge-issuer';
import { SendChallengeEmail } from './challenges/send-challenge-email';
import { SendChallengePush } from './challenges/send-challenge-push';
import { SendWithdrawalChallenges } from './challenges/send-withdrawal-challenges';
import { WithdrawalReader } from './challenges/withdrawal-reader';
import { SendEmailVerification } from './email-verification/send-email-verification';
import { SendFailures } from './deliveries/send-failures';
import { Mailer } from './mail/mailer';
import { NotificationsConsumer } from './notifications.consumer';
import { ChallengeEmailsConsumer } from './challenge-emails.consumer';
import { PushesConsumer } from './pushes.consumer';
import { SendOnce } from './outcomes/send-once';
import { SendOutcomeEmail } from './outcomes/send-outcome-email';
import { LeasedDelivery } from './deliveries/leased-delivery';
import { SentMarks } from './deliveries/sent-marks';
import { SendSecurityNotice } from './notices/send-security-notice';
import { DevicePush } from './push/device-push';
import { PushSender } from './push/push-sender';
import { PushServiceSlots } from './push/push-service-slots';

@Module({})
export class NotificationWorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: NotificationWorkerModule,
      imports: [ConfigModule.forRoot({ ...config, app: 'notifier' }), DatabaseModule.forApp('notifier'), QueueModule, LivenessModule],
      providers: [
        NotificationsConsumer,
        ChallengeEmailsConsumer,
        PushesConsumer,
        SendFailures,
        SendWithdrawalChallenges,
        SendChallengeEmail,
        SendChallengePush,
        ChallengeIssuer,
        WithdrawalReader,
        SendOutcomeEmail,
        SendOnce,
        SendEmailVerification,
        SendSecurityAlert,
        SendOperatorAlert,
        SendSecurityNotice,
        LeasedDelivery,
        SentMarks,
        Mailer,
        PushSender,
        PushServiceSlots,
        DevicePush,
      ],
    };
  }
}
