import { Logger } from '@nestjs/common';
import { failureReason, OutageLog } from './outage-log';

describe('OutageLog', () => {
  it('logs the first failure of an outage and its end, nothing in between', () => {
    const logger = { warn: jest.fn(), log: jest.fn() } as unknown as Logger;
    const outage = new OutageLog(logger, 'postgres');
    outage.recovered(); // nothing to recover from
    expect(outage.failed(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    for (let i = 0; i < 100; i++) expect(outage.failed(new Error('again'))).toBe(false);
    expect(outage.down).toBe(true);
    outage.recovered();
    outage.recovered();
    expect((logger.warn as jest.Mock).mock.calls).toEqual([['postgres is unreachable (ECONNREFUSED)']]);
    expect((logger.log as jest.Mock).mock.calls).toEqual([[expect.stringMatching(/^postgres is reachable again after [0-9.]+ s$/)]]);
    expect(outage.down).toBe(false);
  });

  it('names a failure by its code or class, never its message', () => {
    expect(failureReason(Object.assign(new Error('secret-ish text'), { code: '57P01' }))).toBe('57P01');
    expect(failureReason(new TypeError('secret-ish text'))).toBe('TypeError');
  });
});
