import { createTransport } from 'nodemailer';
import { SmtpCatcher } from '../support/smtp-catcher';
(async () => {
  const smtp = new SmtpCatcher(); await smtp.start();
  const tr = createTransport(smtp.url);
  for (let i = 0; i < 3; i++) { const t = Date.now(); await tr.sendMail({ from: 'a@b.c', to: 'x@y.z', subject: 's' + i, text: 'hi' }); await smtp.waitFor((m) => m.subject === 's' + i); console.log('ms', Date.now() - t); }
  await smtp.stop();
})();
