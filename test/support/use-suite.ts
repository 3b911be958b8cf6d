import { ConfirmationChannels } from './confirmation-channels';
import { InProcessSuite, TestEnvironment } from './test-suite';

export interface SuiteHandle {
  env: TestEnvironment;
  suite: InProcessSuite;
  channels: ConfirmationChannels;
}

/**
 * A fresh environment and the three apps for the enclosing describe block, torn down after it:
 * `const t = useSuite({ CONFIRMATION_WINDOW: '4s' })`, then `t.env`, `t.suite`, `t.channels` in tests.
 */
export function useSuite(overrides: Record<string, string> = {}, apps: { notifier?: boolean; confirmer?: boolean } = {}): SuiteHandle {
  const handle = { env: new TestEnvironment() } as SuiteHandle;
  beforeAll(async () => {
    await handle.env.start(overrides);
    handle.suite = await new InProcessSuite(handle.env).start(apps);
    handle.channels = new ConfirmationChannels(handle.env, handle.suite.baseUrl);
  });
  afterAll(async () => {
    try {
      await handle.suite?.stop();
    } finally {
      await handle.env.stop();
    }
  });
  return handle;
}
