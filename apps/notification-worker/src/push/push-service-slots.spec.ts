import { AppConfig } from '@app/config';
import { PushServiceBusy, PushServiceSlots } from './push-service-slots';

const slots = (pushConcurrency: number) => new PushServiceSlots({ delivery: { pushConcurrency } } as AppConfig);

/** A push that stays in its slot until `finish()` (or `fail()`) is called. */
function heldPush() {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => resolve('pushed');
    fail = reject;
  });
  return { push: () => done, finish, fail };
}

describe('PushServiceSlots', () => {
  it('gives each push service all but a quarter of the push slots, all but one at least, and a single slot to all', () => {
    expect([slots(16).perService, slots(5).perService, slots(4).perService, slots(2).perService, slots(1).perService]).toEqual([12, 4, 3, 1, 1]);
  });

  it("refuses a push past its service's share without running it, while another service's pushes still run", async () => {
    const s = slots(4);
    const held = [heldPush(), heldPush(), heldPush()];
    const running = held.map((h) => s.run('https://push.one.example/a', h.push));
    const third = jest.fn(() => Promise.resolve('pushed'));
    await expect(s.run('https://push.one.example/b', third)).rejects.toBeInstanceOf(PushServiceBusy);
    expect(third).not.toHaveBeenCalled();
    await expect(s.run('https://push.two.example/c', () => Promise.resolve('pushed'))).resolves.toBe('pushed');
    held.forEach((h) => h.finish());
    await Promise.all(running);
  });

  it('gives a slot back when its push ends, delivered or failed', async () => {
    const s = slots(2);
    const failing = heldPush();
    const first = s.run('https://push.one.example/a', failing.push);
    await expect(s.run('https://push.one.example/b', () => Promise.resolve('pushed'))).rejects.toBeInstanceOf(PushServiceBusy);
    failing.fail(new Error('push service answered 503'));
    await expect(first).rejects.toThrow('503');
    await expect(s.run('https://push.one.example/b', () => Promise.resolve('pushed'))).resolves.toBe('pushed');
  });

  it('counts a service by its origin: the same host on another port is another service', async () => {
    const s = slots(2);
    const held = heldPush();
    const running = s.run('http://127.0.0.1:4001/x', held.push);
    await expect(s.run('http://127.0.0.1:4002/y', () => Promise.resolve('pushed'))).resolves.toBe('pushed');
    held.finish();
    await running;
  });
});
