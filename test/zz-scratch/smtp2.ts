import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
(async () => {
  for (const disableReverseLookup of [false, true]) {
    let got = 0;
    const server = new SMTPServer({ secure: false, disabledCommands: ['STARTTLS'], authOptional: true, logger: false, disableReverseLookup, onData: (s, _x, cb) => { s.resume(); s.on('end', () => { got++; cb(); }); } });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.server.address() as any).port;
    const tr = createTransport(`smtp://127.0.0.1:${port}`);
    for (let i = 0; i < 3; i++) { const t = Date.now(); await tr.sendMail({ from: 'a@b.c', to: 'x@y.z', subject: 's', text: 'hi' }); console.log(disableReverseLookup, 'ms', Date.now() - t); }
    await new Promise((r) => server.close(r as any));
  }
})();
