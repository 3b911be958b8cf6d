import { generateKeyPairSync } from 'node:crypto';
import { jwtPublicKey } from './jwt-verifier';

describe('jwtPublicKey (JWT_PUBLIC_KEY)', () => {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const der = pair.publicKey.export({ type: 'spki', format: 'der' });

  it.each([
    ['PEM', pem],
    ['PEM on one line with \\n', pem.replace(/\n/g, '\\n')],
    ['base64 of the PEM', Buffer.from(pem).toString('base64')],
    ['base64 DER SPKI (keys:generate)', der.toString('base64')],
  ])('reads %s as the same key', (_, text) => {
    expect(jwtPublicKey(text).export({ type: 'spki', format: 'der' }).equals(der)).toBe(true);
  });

  it('refuses text that is no key', () => {
    expect(() => jwtPublicKey('bm90IGEga2V5')).toThrow();
  });
});
