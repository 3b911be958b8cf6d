import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@app/database';
import { balanceOf, problemCode, statusOf, transfersOf } from './support/attack-kit';
import { enrolCustomer, TestCustomer } from './support/customer-factory';
import { useSuite } from './support/use-suite';

const answer = (r: { status: number; headers: Headers; body: any }) => `${r.status} ${problemCode(r) ?? ''}`.trim();

/**
 * Dynamic linking (PSD2 RTS art. 5): every approval is bound to the withdrawal's digest of asset, network,
 * amount, fee, destination and customer. Details changed behind the customer's back — here by the
 * database superuser, the strongest attacker short of rewriting the rules — void the approvals given.
 */
describe('approvals are bound to the exact withdrawal details', () => {
  const t = useSuite();

  async function withdrawal(c: TestCustomer, amount: string) {
    const r = await t.channels.requestWithdrawal(c, amount);
    expect([r.status, r.body.detail]).toEqual([202, undefined]);
    return r.body as { id: string; matchCode: string };
  }

  async function expectVoided(c: TestCustomer, id: string, deposit: string) {
    const doc = await statusOf(c, id);
    expect(doc.status).not.toBe('posted');
    expect(doc.postedAt).toBeNull();
    expect([doc.status, doc.reason]).toEqual(['denied', 'details_changed']);
    expect(await transfersOf(t.env, id)).toEqual({ pending: 1, void_pending: 1 });
    expect(await balanceOf(c)).toEqual({ available: deposit, held: '0' });
  }

  it('amount raised after email and push approvals: the TOTP approval does not post it; denied, hold released', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '2' });
    const w = await withdrawal(c, '0.1');
    await t.channels.approveEmail(c, w.id, w.matchCode);
    await t.channels.approvePush(c, w.id, w.matchCode);
    await t.env.admin.query(`UPDATE withdrawals SET amount = 1.9 WHERE id = $1`, [w.id]);
    const totp = await t.channels.submitTotp(c, w.id, 1);
    expect(totp.status === 200 ? totp.body.status : answer(totp)).not.toBe('posted');
    await expectVoided(c, w.id, '2');
  });

  it('destination swapped after email and TOTP approvals: the push approval is refused; denied, hold released', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c, '0.5');
    await t.channels.approveEmail(c, w.id, w.matchCode);
    expect((await t.channels.submitTotp(c, w.id, 1)).status).toBe(200);
    await t.env.admin.query(`UPDATE withdrawals SET address = 'bc1qattackerattackerattackerattacker0000' WHERE id = $1`, [w.id]);
    const push = await t.channels.approvePush(c, w.id, w.matchCode);
    expect(answer(push)).toBe('410 token_invalid');
    await expectVoided(c, w.id, '1');
  });

  it('fee added after push and TOTP approvals: the email approval is refused; denied, hold released', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c, '0.5');
    await t.channels.approvePush(c, w.id, w.matchCode);
    expect((await t.channels.submitTotp(c, w.id, 1)).status).toBe(200);
    await t.env.admin.query(`UPDATE withdrawals SET fee = 0.4 WHERE id = $1`, [w.id]);
    expect(answer(await t.channels.approveEmail(c, w.id, w.matchCode))).toBe('410 token_invalid');
    await expectVoided(c, w.id, '1');
  });

  it('details changed after the challenges went out but before any approval: the three approvals never post', async () => {
    const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const w = await withdrawal(c, '0.2');
    const emailToken = await t.channels.emailToken(c, w.id);
    const pushToken = await t.channels.pushToken(c, w.id);
    await t.env.admin.query(`UPDATE withdrawals SET address = 'bc1qattackerattackerattackerattacker1111' WHERE id = $1`, [w.id]);
    await t.channels.decide(emailToken, 'approve', w.matchCode);
    await t.channels.decide(pushToken, 'approve', w.matchCode);
    await t.channels.submitTotp(c, w.id, 1);
    await expectVoided(c, w.id, '1');
  });

  describe('the apps’ own database roles', () => {
    const roles: Record<string, DataSource> = {};

    beforeAll(async () => {
      const urls = t.env.config().databaseUrls;
      for (const role of ['api', 'notifier', 'confirmer'] as const) {
        roles[role] = new DataSource(dataSourceOptions(urls[role], 1));
        await roles[role].initialize();
      }
    });
    afterAll(async () => {
      for (const ds of Object.values(roles)) await ds.destroy();
    });

    const refused = async (ds: DataSource, sql: string, params: unknown[] = []) => {
      try {
        await ds.query(sql, params);
      } catch (error) {
        return (error as { code?: string; constraint?: string }).constraint ?? (error as { code?: string }).code;
      }
      return 'accepted';
    };

    it('no app role can change a withdrawal’s amount or destination, or approve a factor it does not own', async () => {
      const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
      const w = await withdrawal(c, '0.1');
      for (const role of ['api', 'notifier', 'confirmer']) {
        expect(await refused(roles[role], `UPDATE withdrawals SET amount = 0.9 WHERE id = $1`, [w.id])).toBe('42501');
        expect(await refused(roles[role], `UPDATE withdrawals SET address = 'bc1qevil' WHERE id = $1`, [w.id])).toBe('42501');
      }
      for (const role of ['api', 'notifier']) {
        expect(await refused(roles[role], `UPDATE withdrawal_factors SET status = 'approved' WHERE withdrawal_id = $1`, [w.id])).toBe('42501');
        expect(
          await refused(
            roles[role],
            `INSERT INTO ledger_transfers (kind, pending_id) SELECT 'post_pending', id FROM ledger_transfers WHERE withdrawal_id = $1`,
            [w.id],
          ),
        ).toBe('42501');
      }
      expect((await statusOf(c, w.id)).status).toBe('pending_confirmation');
    });

    it('even the confirmation service’s role cannot post with two approvals, or after the details changed', async () => {
      const c = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
      const w = await withdrawal(c, '0.1');
      await t.channels.approveEmail(c, w.id, w.matchCode);
      await t.channels.approvePush(c, w.id, w.matchCode);
      const post = `INSERT INTO ledger_transfers (kind, pending_id) SELECT 'post_pending', id FROM ledger_transfers WHERE withdrawal_id = $1 AND kind = 'pending'`;
      expect(await refused(roles.confirmer, post, [w.id])).toBe('ledger_three_of_three');

      // A forged third approval carrying the old digest, then a change of destination: still refused.
      await roles.confirmer.query(
        `UPDATE withdrawal_factors SET status = 'approved', digest = (SELECT digest FROM withdrawals WHERE id = $1), decided_at = now(), evidence = 'forged'
          WHERE withdrawal_id = $1 AND factor = 'totp'`,
        [w.id],
      );
      await t.env.admin.query(`UPDATE withdrawals SET address = 'bc1qattackerattackerattackerattacker2222' WHERE id = $1`, [w.id]);
      expect(await refused(roles.confirmer, post, [w.id])).toBe('ledger_three_of_three');
      expect((await transfersOf(t.env, w.id)).post_pending).toBeUndefined();
    });
  });
});
