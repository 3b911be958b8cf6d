/** Queue names are part of the public contract: they never change once released. */
export enum QueueName {
  Notifications = 'notifications',
  Confirmations = 'confirmations',
  WithdrawalsPosted = 'withdrawals-posted',
  /** Challenge emails, and every push: each on a queue and worker of its own, so one peer's outage or slowness never holds up the other. */
  ChallengeEmails = 'challenge-emails',
  Pushes = 'pushes',
}
