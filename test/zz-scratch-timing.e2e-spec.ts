import { enrolCustomer } from './support/customer-factory';
import { InProcessSuite, TestEnvironment } from './support/test-suite';
describe('t', () => {
  const env = new TestEnvironment();
  let suite: InProcessSuite;
  beforeAll(async () => { await env.start({ PUBLIC_RATE_LIMIT_PER_MINUTE: '100000' }); suite = await new InProcessSuite(env).start(); });
  afterAll(async () => { await suite?.stop(); await env.stop(); });
  it('enrol timing', async () => {
    let t = Date.now();
    for (let i = 0; i < 5; i++) await enrolCustomer(env, suite.baseUrl, { deposit: '1' });
    console.log('sequential per enrol ms', (Date.now() - t) / 5);
    t = Date.now();
    await Promise.all(Array.from({ length: 10 }, () => enrolCustomer(env, suite.baseUrl, { deposit: '1' })));
    console.log('10 parallel ms', Date.now() - t);
  });
});
