import { anomalyDestinationKey, anomalyHold, anomalyIpKey, autoPauseTrips } from './risk';

describe('anomaly keys', () => {
  it.each([
    ['198.51.100.7', '198.51.100.7'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['::FFFF:c633:6407', '198.51.100.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('counts %s as %s', (ip, key) => {
    expect(anomalyIpKey(ip)).toBe(key);
  });

  it('counts every address of one IPv6 /64 as one key, and bounds what it cannot parse', () => {
    expect(anomalyIpKey('2001:db8:aa:bb:1::1')).toBe(anomalyIpKey('2001:db8:aa:bb:ffff:ffff:ffff:ffff'));
    expect(anomalyIpKey('2001:db8:aa:bb::1')).not.toBe(anomalyIpKey('2001:db8:aa:bc::1'));
    expect(anomalyIpKey(`1:2:3:${'x'.repeat(500)}`)).toHaveLength(64);
  });

  it('counts one destination written in two cases once where the encoding ignores case', () => {
    expect(anomalyDestinationKey('ethereum', '0xAbCdEf0123456789abcdef0123456789ABCDEF01')).toBe(
      'ethereum:0xabcdef0123456789abcdef0123456789abcdef01',
    );
    expect(anomalyDestinationKey('bitcoin', 'BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ')).toBe(
      anomalyDestinationKey('bitcoin', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'),
    );
    // Base58 is case-sensitive: these are two addresses.
    expect(anomalyDestinationKey('bitcoin', '1BoatSLRHtKNngkdXEeobR76b53LETtpyT')).toBe('bitcoin:1BoatSLRHtKNngkdXEeobR76b53LETtpyT');
    expect(anomalyDestinationKey('bitcoin', 'x')).not.toBe(anomalyDestinationKey('litecoin', 'x'));
  });
});

describe('anomaly holds', () => {
  it('holds past the limit, naming IP before device before destination', () => {
    expect(anomalyHold({ ip: 3, device: 3, destination: 3 }, 3)).toBeUndefined();
    expect(anomalyHold({ ip: 4, destination: 1 }, 3)).toBe('ip');
    expect(anomalyHold({ ip: 1, device: 4, destination: 9 }, 3)).toBe('device');
    expect(anomalyHold({ ip: 1, destination: 4 }, 3)).toBe('destination');
    expect(anomalyHold({}, 3)).toBeUndefined();
  });
});

describe('the automatic pause', () => {
  const policy = { factor: 5, minPerMinute: 20 };

  it('needs at least the minimum in the last minute', () => {
    expect(autoPauseTrips({ lastMinute: 19, trailingHour: 0 }, policy)).toBe(false);
    expect(autoPauseTrips({ lastMinute: 20, trailingHour: 0 }, policy)).toBe(true);
  });

  it('needs more than the factor times the trailing mean', () => {
    // 600 in the trailing hour: 10 a minute, 5 × 10 = 50.
    expect(autoPauseTrips({ lastMinute: 50, trailingHour: 600 }, policy)).toBe(false);
    expect(autoPauseTrips({ lastMinute: 51, trailingHour: 600 }, policy)).toBe(true);
  });

  it('is off with a factor of 0', () => {
    expect(autoPauseTrips({ lastMinute: 10_000, trailingHour: 0 }, { factor: 0, minPerMinute: 1 })).toBe(false);
  });
});
