import { Factor, FACTOR_STATUSES, FactorStatus, FACTORS } from './factor';
import { settle, Settlement, SettlementFacts } from './settlement';
import { WITHDRAWAL_STATUSES, WithdrawalStatus } from './withdrawal-status';

type Row = [FactorStatus, FactorStatus, FactorStatus];

function facts(factors: Row, overrides: Partial<Omit<SettlementFacts, 'factors'>> & { unbound?: Factor[] } = {}): SettlementFacts {
  const { unbound = [], ...rest } = overrides;
  return {
    status: 'pending_confirmation',
    expired: false,
    accountFrozen: false,
    paused: false,
    ...rest,
    factors: Object.fromEntries(
      FACTORS.map((f, i) => [f, { status: factors[i], boundToCurrentDigest: factors[i] === 'approved' && !unbound.includes(f) }]),
    ) as SettlementFacts['factors'],
  };
}

const APPROVED: Row = ['approved', 'approved', 'approved'];

describe('settle: the table', () => {
  it.each<[string, SettlementFacts, Settlement]>([
    ['three approvals post', facts(APPROVED), { action: 'post' }],
    ['two approvals wait', facts(['approved', 'approved', 'pending']), { action: 'wait', until: 'confirmations' }],
    ['nothing yet waits', facts(['pending', 'pending', 'pending']), { action: 'wait', until: 'confirmations' }],
    ['a denial ends it', facts(['approved', 'denied', 'approved']), { action: 'end', status: 'denied', reason: 'denied_by_customer' }],
    ['a denial wins over two pending', facts(['denied', 'pending', 'pending']), { action: 'end', status: 'denied', reason: 'denied_by_customer' }],
    ['a locked TOTP ends it', facts(['approved', 'approved', 'locked']), { action: 'end', status: 'denied', reason: 'totp_locked' }],
    ['locked is named before denied', facts(['denied', 'pending', 'locked']), { action: 'end', status: 'denied', reason: 'totp_locked' }],
    [
      'an approval for other details voids it',
      facts(APPROVED, { unbound: ['push'] }),
      { action: 'end', status: 'denied', reason: 'details_changed' },
    ],
    [
      'expired before the third approval',
      facts(['approved', 'approved', 'pending'], { expired: true }),
      { action: 'end', status: 'expired', reason: 'confirmation_window_passed' },
    ],
    [
      'expired even with three approvals',
      facts(APPROVED, { expired: true }),
      { action: 'end', status: 'expired', reason: 'confirmation_window_passed' },
    ],
    ['a frozen account posts nothing', facts(APPROVED, { accountFrozen: true }), { action: 'end', status: 'denied', reason: 'account_frozen' }],
    [
      'a frozen account still collects confirmations',
      facts(['approved', 'pending', 'pending'], { accountFrozen: true }),
      { action: 'wait', until: 'confirmations' },
    ],
    ['held waits for release', facts(APPROVED, { status: 'held' }), { action: 'wait', until: 'release' }],
    ['held still collects confirmations', facts(['pending', 'approved', 'pending'], { status: 'held' }), { action: 'wait', until: 'confirmations' }],
    [
      'held and denied ends',
      facts(['denied', 'approved', 'approved'], { status: 'held' }),
      { action: 'end', status: 'denied', reason: 'denied_by_customer' },
    ],
    ['paused waits for resume', facts(APPROVED, { paused: true }), { action: 'wait', until: 'resume' }],
    ['paused still collects confirmations', facts(['approved', 'pending', 'approved'], { paused: true }), { action: 'wait', until: 'confirmations' }],
    ['held and paused waits for release first', facts(APPROVED, { status: 'held', paused: true }), { action: 'wait', until: 'release' }],
    [
      'paused does not keep a denied one open',
      facts(['approved', 'denied', 'approved'], { paused: true }),
      { action: 'end', status: 'denied', reason: 'denied_by_customer' },
    ],
    ['posted is final', facts(APPROVED, { status: 'posted' }), { action: 'none' }],
    ['cancelled is final', facts(APPROVED, { status: 'cancelled' }), { action: 'none' }],
  ])('%s', (_, input, expected) => {
    expect(settle(input)).toEqual(expected);
  });
});

/** Every combination of factor states, withdrawal status, expiry, freeze, pause and digest binding. */
function* everyCombination(): Generator<SettlementFacts> {
  for (const email of FACTOR_STATUSES)
    for (const push of FACTOR_STATUSES)
      for (const totp of FACTOR_STATUSES)
        for (const status of WITHDRAWAL_STATUSES)
          for (const expired of [false, true])
            for (const accountFrozen of [false, true])
              for (const paused of [false, true])
                for (const unbound of [[], ['email'], ['totp']] as Factor[][])
                  yield facts([email, push, totp], { status, expired, accountFrozen, paused, unbound });
}

describe('settle: every combination', () => {
  const all = [...everyCombination()];
  const decided = all.map((input) => ({ input, out: settle(input) }));
  const statuses = (f: SettlementFacts) => FACTORS.map((k) => f.factors[k].status);

  it('covers all of them', () => {
    expect(all).toHaveLength(5 ** 3 * WITHDRAWAL_STATUSES.length * 2 * 2 * 2 * 3);
  });

  it('posts only three of three, bound to the current details, open, in time, unfrozen, not held, not paused', () => {
    for (const { input, out } of decided.filter((d) => d.out.action === 'post')) {
      expect(statuses(input)).toEqual(['approved', 'approved', 'approved']);
      expect(FACTORS.every((f) => input.factors[f].boundToCurrentDigest)).toBe(true);
      expect([input.status, input.expired, input.accountFrozen, input.paused]).toEqual(['pending_confirmation', false, false, false]);
      expect(out).toEqual({ action: 'post' });
    }
  });

  it('posts every withdrawal that meets all of those', () => {
    const eligible = decided.filter(
      ({ input }) =>
        input.status === 'pending_confirmation' &&
        !input.expired &&
        !input.accountFrozen &&
        !input.paused &&
        FACTORS.every((f) => input.factors[f].status === 'approved' && input.factors[f].boundToCurrentDigest),
    );
    expect(eligible.length).toBeGreaterThan(0);
    for (const { out } of eligible) expect(out.action).toBe('post');
  });

  it('never changes a final withdrawal', () => {
    for (const { input, out } of decided) {
      if (input.status !== 'pending_confirmation' && input.status !== 'held') expect(out).toEqual({ action: 'none' });
    }
  });

  it('lets a denial or a lock win over anything but expiry', () => {
    for (const { input, out } of decided) {
      const s = statuses(input);
      const open = input.status === 'pending_confirmation' || input.status === 'held';
      if (!open || input.expired || !(s.includes('denied') || s.includes('locked'))) continue;
      expect(out).toMatchObject({ action: 'end', status: 'denied' });
    }
  });

  it('ends every open withdrawal whose window has passed', () => {
    for (const { input, out } of decided) {
      if ((input.status === 'pending_confirmation' || input.status === 'held') && input.expired) {
        expect(out).toEqual({ action: 'end', status: 'expired', reason: 'confirmation_window_passed' });
      }
    }
  });

  it('keeps waiting, never ending, while confirmations are missing and none is refused', () => {
    for (const { input, out } of decided) {
      const s = statuses(input);
      const open = input.status === 'pending_confirmation' || input.status === 'held';
      if (open && !input.expired && s.includes('pending') && !s.includes('denied') && !s.includes('locked')) {
        expect(out).toEqual({ action: 'wait', until: 'confirmations' });
      }
    }
  });
});

describe('settle: statuses', () => {
  it.each<WithdrawalStatus>(['pending_confirmation', 'held'])('%s is open', (status) => {
    expect(settle(facts(['pending', 'pending', 'pending'], { status })).action).toBe('wait');
  });
});
