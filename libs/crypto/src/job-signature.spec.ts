import { generateKeyPairBase64 } from '@app/config';
import { privateKeyFromBase64, publicKeyFromBase64 } from './keys';
import { jobSigningBytes, SignedJobFields, signJob, verifyJobSignature } from './job-signature';

describe('job signatures (Ed25519)', () => {
  const pair = generateKeyPairBase64('ed25519');
  const privateKey = privateKeyFromBase64(pair.privateKey);
  const publicKey = publicKeyFromBase64(pair.publicKey);
  const fields: SignedJobFields = {
    queue: 'withdrawals-posted',
    name: 'withdrawal-posted',
    jobId: '3f0b5d1e-7c11-4a5e-9d61-1f1b0a0e8c01',
    producer: 'confirmation-service',
    issuedAt: '2026-11-29T12:00:00.000Z',
    data: { withdrawalId: '3f0b5d1e-7c11-4a5e-9d61-1f1b0a0e8c01', amount: '0.4', address: 'bc1qexample', userId: 'alice' },
  };

  it('verifies what it signed, whatever the key order of the data', () => {
    const signature = signJob(privateKey, fields);
    const reordered = { ...fields, data: { userId: 'alice', address: 'bc1qexample', amount: '0.4', withdrawalId: fields.jobId } };
    expect(verifyJobSignature(publicKey, reordered, signature)).toBe(true);
  });

  it.each<[string, Partial<SignedJobFields>]>([
    ['another queue', { queue: 'notifications' }],
    ['another job name', { name: 'send-outcome-email' }],
    ['another job id', { jobId: 'replay-1' }],
    ['another producer', { producer: 'api' }],
    ['another time', { issuedAt: '2026-11-29T12:00:01.000Z' }],
    ['another amount', { data: { ...(fields.data as object), amount: '250' } }],
  ])('refuses %s', (_, change) => {
    const signature = signJob(privateKey, fields);
    expect(verifyJobSignature(publicKey, { ...fields, ...change }, signature)).toBe(false);
  });

  it('refuses another key and garbage', () => {
    const otherKey = publicKeyFromBase64(generateKeyPairBase64('ed25519').publicKey);
    expect(verifyJobSignature(otherKey, fields, signJob(privateKey, fields))).toBe(false);
    expect(verifyJobSignature(publicKey, fields, 'not-a-signature')).toBe(false);
  });

  it('signs unambiguous bytes: fields are separated by U+001F', () => {
    expect(jobSigningBytes(fields).toString()).toBe(
      [
        'countersign-job-v1',
        'withdrawals-posted',
        'withdrawal-posted',
        fields.jobId,
        'confirmation-service',
        fields.issuedAt,
        '{"address":"bc1qexample","amount":"0.4","userId":"alice","withdrawalId":"3f0b5d1e-7c11-4a5e-9d61-1f1b0a0e8c01"}',
      ].join('\u001f'),
    );
  });
});
