import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { QueryFailedError } from 'typeorm';
import { isConnectionFailure } from './connection-failures';

const withCode = (code: string, message = 'whatever the driver says') => Object.assign(new Error(message), { code });

describe('isConnectionFailure: by class and code, never by message', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a reset connection', withCode('ECONNRESET')],
    ['a DNS failure', withCode('EAI_AGAIN')],
    ['SQLSTATE 08006 (connection failure) inside TypeORM', new QueryFailedError('SELECT 1', [], withCode('08006'))],
    ['SQLSTATE 57P01 (admin shutdown)', withCode('57P01')],
    ['SQLSTATE 53300 (too many connections)', withCode('53300')],
    ['ioredis giving up after its retries', new MaxRetriesPerRequestError(1)],
    ['a refused connection as the cause', new Error('wrapped', { cause: withCode('ECONNREFUSED') })],
    ['a refused connection in an AggregateError', new AggregateError([withCode('ECONNREFUSED')])],
  ])('%s is one', (_, error) => expect(isConnectionFailure(error)).toBe(true));

  it.each([
    ['a unique violation', new QueryFailedError('INSERT', [], withCode('23505'))],
    ['an insufficient privilege', withCode('42501')],
    ['a plain error whose text mentions a connection', new Error('connect ECONNREFUSED 127.0.0.1:5432')],
    ['a TypeError', new TypeError('x is undefined')],
    ['nothing at all', undefined],
  ])('%s is not', (_, error) => expect(isConnectionFailure(error)).toBe(false));
});
