/**
 * Served at /push/sw.js: shows the confirmation push (and a security notice) and opens its page when tapped.
 * The customer's anti-phishing code, when set, leads every notification's text: a look-alike lacks it.
 */
export const SERVICE_WORKER = `'use strict';
function withCode(message, text) {
  return message.antiPhishingCode ? 'Code: ' + message.antiPhishingCode + ' \\u2014 ' + text : text;
}
self.addEventListener('push', (event) => {
  let message;
  try { message = event.data.json(); } catch (e) { return; }
  if (!message) return;
  if (message.type === 'withdrawal-confirmation') {
    event.waitUntil(self.registration.showNotification('Confirm your withdrawal', {
      body: withCode(message, message.amount + ' ' + message.asset + ' to ' + message.address),
      tag: 'withdrawal-' + message.withdrawalId,
      requireInteraction: true,
      data: { url: message.url },
    }));
  } else if (message.type === 'security-notice') {
    event.waitUntil(self.registration.showNotification('Security settings changed', {
      body: withCode(message, 'A change to your ' + message.change + ' settings. Not you? Tap to say so.'),
      tag: 'notice-' + message.at,
      data: { url: message.url },
    }));
  }
});
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = event.notification.data && event.notification.data.url;
  if (url && new URL(url).origin === self.location.origin) event.waitUntil(self.clients.openWindow(url));
});
`;
