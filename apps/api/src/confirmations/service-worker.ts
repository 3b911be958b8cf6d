/** Served at /push/sw.js: shows the confirmation push and opens its page when tapped. */
export const SERVICE_WORKER = `'use strict';
self.addEventListener('push', (event) => {
  let message;
  try { message = event.data.json(); } catch (e) { return; }
  if (!message || message.type !== 'withdrawal-confirmation') return;
  event.waitUntil(self.registration.showNotification('Confirm your withdrawal', {
    body: message.amount + ' ' + message.asset + ' to ' + message.address,
    tag: 'withdrawal-' + message.withdrawalId,
    requireInteraction: true,
    data: { url: message.url },
  }));
});
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = event.notification.data && event.notification.data.url;
  if (url && new URL(url).origin === self.location.origin) event.waitUntil(self.clients.openWindow(url));
});
`;
