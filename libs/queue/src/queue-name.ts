/** Queue names are part of the public contract: they never change once released. */
export enum QueueName {
  Notifications = 'notifications',
  Confirmations = 'confirmations',
  WithdrawalsPosted = 'withdrawals-posted',
}
