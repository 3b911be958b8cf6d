import { DELIVERY_LEASE_SECONDS, deliveryLeaseSeconds } from './leased-delivery';

describe('deliveryLeaseSeconds', () => {
  it('a push owns its message for PUSH_TIMEOUT and 5 s, whole seconds up: never less than a push can take', () => {
    expect(deliveryLeaseSeconds('push', { pushTimeoutMs: 10_000 })).toBe(15);
    expect(deliveryLeaseSeconds('push', { pushTimeoutMs: 2_500 })).toBe(8);
    // A push service allowed a minute: the lease follows (a fixed 30 s would let a duplicate send while it waits).
    expect(deliveryLeaseSeconds('push', { pushTimeoutMs: 60_000 })).toBe(65);
  });

  it('an email keeps the fixed lease, whatever the push timeout', () => {
    expect(deliveryLeaseSeconds('email', { pushTimeoutMs: 60_000 })).toBe(DELIVERY_LEASE_SECONDS);
  });
});
