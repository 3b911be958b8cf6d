import { AppRole } from '@app/config';
import { AuditRepository } from '@app/database';
import { Client } from 'pg';
import { SentMarks } from '../apps/notification-worker/src/deliveries/sent-marks';
import { asSuperuserAroundTriggers, runAuditVerify } from './support/audit-kit';
import { enrolCustomer } from './support/customer-factory';
import { connectAs, refusal } from './support/db-roles';
import { useSuite } from './support/use-suite';

/** An entry exactly as stored: time and detail as Postgres prints them, so that putting it back changes no bit. */
interface AuditRow {
  id: string;
  at: string;
  actor: string;
  event: string;
  user_id: string | null;
  withdrawal_id: string | null;
  detail: string;
}

/**
 * The audit log is tamper-evident (shared/API.md "Risk controls"): every entry is linked into a hash chain
 * by Postgres in the transaction that writes it, correctly under concurrent writers; `npm run audit:verify`
 * exits 1 naming the first entry altered, removed or inserted — even by a superuser going around every
 * trigger — and no app role may change or delete an entry or a link.
 */
describe('the audit hash chain', () => {
  const t = useSuite();
  const verify = () => runAuditVerify({ DATABASE_URL: t.env.databaseUrl });
  const entry = async (id: string): Promise<AuditRow> => {
    const [row] = await t.env.admin.query<AuditRow[]>(
      'SELECT id::text, at::text, actor, event, user_id, withdrawal_id, detail::text FROM audit_events WHERE id = $1',
      [id],
    );
    return row;
  };

  beforeAll(async () => {
    // A full run: a customer set up through the API, a withdrawal confirmed on all three channels and posted,
    // another denied, the kill switch pulled and released.
    const operator = t.env.operator(t.suite.baseUrl, 'op-audit');
    const customer = await enrolCustomer(t.env, t.suite.baseUrl, { deposit: '1' });
    const posted = (await t.channels.requestWithdrawal(customer, '0.2')).body;
    await t.channels.approveEmail(customer, posted.id, posted.matchCode);
    await t.channels.approvePush(customer, posted.id, posted.matchCode);
    await t.channels.submitTotp(customer, posted.id);
    await t.channels.waitForStatus(customer, posted.id, 'posted');
    const denied = (await t.channels.requestWithdrawal(customer, '0.1')).body;
    await t.channels.decide(await t.channels.emailToken(customer, denied.id), 'deny');
    await operator.post('/v1/admin/withdrawals/pause', { reason: 'drill' });
    await operator.post('/v1/admin/withdrawals/resume');
    // Three deliveries' marks of one moment, made by one statement of the notification worker (SentMarks).
    const notifier = t.suite.notifier!;
    const audit = notifier.get(AuditRepository);
    await Promise.all([1, 2, 3].map((mark) => notifier.get(SentMarks).record([audit.entryChange({ event: 'concurrent_write', detail: { mark } })])));

    // Eight writers at once, in the three apps' own roles, transactions of one to three entries, some rolled back.
    const roles: AppRole[] = ['api', 'notifier', 'confirmer'];
    const writers = await Promise.all(Array.from({ length: 8 }, (_, i) => connectAs(t.env, roles[i % 3])));
    try {
      await Promise.all(
        writers.map(async (client: Client, w) => {
          for (let tx = 0; tx < 40; tx++) {
            await client.query('BEGIN');
            for (let e = 0; e <= tx % 3; e++) {
              await client.query(`INSERT INTO audit_events (actor, event, detail) VALUES ('x', 'concurrent_write', $1)`, [
                JSON.stringify({ w, tx, e }),
              ]);
            }
            await client.query(tx % 7 === 6 ? 'ROLLBACK' : 'COMMIT');
          }
        }),
      );
    } finally {
      await Promise.all(writers.map((c) => c.end()));
    }
  });

  it('verifies clean after a full run with concurrent writers, every entry chained', async () => {
    const result = await verify();
    expect(result.stdout).toMatch(/^audit:verify: clean: \d+ entries in 8 chains/m);
    expect(result.code).toBe(0);
    const [{ unchained }] = await t.env.admin.query(
      'SELECT count(*)::int AS unchained FROM audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id)',
    );
    expect(unchained).toBe(0);
    const [{ chains }] = await t.env.admin.query('SELECT count(DISTINCT chain)::int AS chains FROM audit_chain');
    expect(chains).toBeGreaterThan(1);
  });

  it("chains the entries that deliveries' marks made together, in one statement, like any other", async () => {
    const rows = await t.env.admin.query<{ at: string; actor: string; chain: number; seq: string }[]>(
      `SELECT e.at::text, e.actor, c.chain, c.seq::text FROM audit_events e JOIN audit_chain c ON c.event_id = e.id
        WHERE e.detail ? 'mark' ORDER BY c.seq`,
    );
    expect(rows).toHaveLength(3);
    // One transaction: one time, one chain, three consecutive places in it.
    expect(new Set(rows.map((r) => `${r.at} ${r.actor} ${r.chain}`)).size).toBe(1);
    expect(rows.map((r) => Number(r.seq) - Number(rows[0].seq))).toEqual([0, 1, 2]);
    expect(rows[0].actor).toBe('notification-worker');
  });

  it('shows operators each entry with hash and prevHash, linked in its chain', async () => {
    const items: { id: string; chain: number; seq: string; hash: string; prevHash: string }[] = (
      await t.env.operator(t.suite.baseUrl).get('/v1/admin/audit')
    ).body.items;
    expect(items.length).toBeGreaterThan(50);
    for (const item of items)
      expect([item.hash, item.prevHash]).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/), expect.stringMatching(/^[0-9a-f]{64}$/)]);
    const bySeq = new Map(items.map((i) => [`${i.chain}:${i.seq}`, i]));
    let links = 0;
    for (const item of items) {
      const previous = bySeq.get(`${item.chain}:${BigInt(item.seq) - 1n}`);
      if (!previous) continue;
      expect(item.prevHash).toBe(previous.hash);
      links++;
    }
    expect(links).toBeGreaterThan(10);
  });

  it('names an entry a superuser altered, and is clean again once it is put back', async () => {
    const [{ id }] = await t.env.admin.query(`SELECT id::text FROM audit_events WHERE event = 'withdrawal_posted'`);
    const original = await entry(id);
    await asSuperuserAroundTriggers(t.env.admin, (q) => q(`UPDATE audit_events SET detail = '{"amount": "999"}' WHERE id = $1`, [id]));
    const tampered = await verify();
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(`FAIL first: altered entry ${id} `);

    await asSuperuserAroundTriggers(t.env.admin, (q) => q('UPDATE audit_events SET detail = $2::jsonb WHERE id = $1', [id, original.detail]));
    expect((await verify()).code).toBe(0);
  });

  it('names an entry a superuser removed — alone, or with its link — and the tail of a chain', async () => {
    const [{ id }] = await t.env.admin.query(`SELECT id::text FROM audit_events WHERE event = 'withdrawals_paused'`);
    const original = await entry(id);
    const [link] = await t.env.admin.query('SELECT event_id, chain, seq, prev_hash, hash FROM audit_chain WHERE event_id = $1', [id]);
    const restore = () =>
      asSuperuserAroundTriggers(t.env.admin, async (q) => {
        await q(
          'INSERT INTO audit_events (id, at, actor, event, user_id, withdrawal_id, detail) VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7::jsonb) ON CONFLICT DO NOTHING',
          [original.id, original.at, original.actor, original.event, original.user_id, original.withdrawal_id, original.detail],
        );
        await q('INSERT INTO audit_chain (event_id, chain, seq, prev_hash, hash) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [
          link.event_id,
          link.chain,
          link.seq,
          link.prev_hash,
          link.hash,
        ]);
      });

    await asSuperuserAroundTriggers(t.env.admin, (q) => q('DELETE FROM audit_events WHERE id = $1', [id]));
    const alone = await verify();
    expect(alone.code).toBe(1);
    expect(alone.stdout).toContain(`FAIL first: removed entry ${id} `);
    await restore();
    expect((await verify()).code).toBe(0);

    await asSuperuserAroundTriggers(t.env.admin, async (q) => {
      await q('DELETE FROM audit_events WHERE id = $1', [id]);
      await q('DELETE FROM audit_chain WHERE event_id = $1', [id]);
    });
    const withLink = await verify();
    expect(withLink.code).toBe(1);
    expect(withLink.stdout).toMatch(
      new RegExp(
        // The chain is txid % 8, and txids are the cluster's: the entry may be its chain's first, after the genesis.
        `FAIL first: removed \\(chain ${link.chain}, seq ${link.seq}\\.\\.${link.seq}\\): 1 entr\\(y/ies\\) of chain ${link.chain} between entry ${Number(link.seq) === 1 ? '\\(genesis\\)' : '\\d+'} and entry \\d+ are gone`,
      ),
    );
    await restore();
    expect((await verify()).code).toBe(0);

    // The newest entry of a chain, link and all: only its chain's head still knows it was there.
    const [last] = await t.env.admin.query(
      'SELECT c.event_id::text AS id, c.chain FROM audit_chain c JOIN audit_chain_heads h ON h.chain = c.chain AND h.seq = c.seq LIMIT 1',
    );
    await asSuperuserAroundTriggers(t.env.admin, async (q) => {
      await q('DELETE FROM audit_events WHERE id = $1', [last.id]);
      await q('DELETE FROM audit_chain WHERE event_id = $1', [last.id]);
    });
    const tail = await verify();
    expect(tail.code).toBe(1);
    expect(tail.stdout).toMatch(new RegExp(`removed \\(chain ${last.chain}, seq .*the last 1 entr\\(y/ies\\) of chain ${last.chain}`));
  });

  it('names an entry a superuser inserted around the chaining trigger', async () => {
    const [{ id }] = (await asSuperuserAroundTriggers(t.env.admin, (q) =>
      q(`INSERT INTO audit_events (actor, event, detail) VALUES ('confirmation-service', 'withdrawal_posted', '{}') RETURNING id::text AS id`),
    )) as { id: string }[];
    const inserted = await verify();
    expect(inserted.code).toBe(1);
    expect(inserted.stdout).toMatch(new RegExp(`inserted entry ${id} .*in no chain`));
  });

  it.each<AppRole>(['api', 'notifier', 'confirmer'])('refuses the %s role any change to entries, links or heads', async (role) => {
    const client = await connectAs(t.env, role);
    try {
      const [{ id }] = (await client.query('SELECT max(id)::text AS id FROM audit_events')).rows;
      for (const statement of [
        `UPDATE audit_events SET event = 'nothing' WHERE id = ${id}`,
        `DELETE FROM audit_events WHERE id = ${id}`,
        'TRUNCATE audit_events',
        `UPDATE audit_chain SET hash = prev_hash WHERE event_id = ${id}`,
        `DELETE FROM audit_chain WHERE event_id = ${id}`,
        `INSERT INTO audit_chain (event_id, chain, seq, prev_hash, hash) VALUES (-1, 0, 1, sha256(''), sha256(''))`,
        `UPDATE audit_chain_heads SET seq = 0`,
      ]) {
        expect([statement, (await refusal(client.query(statement)))?.code]).toEqual([statement, '42501']);
      }
    } finally {
      await client.end();
    }
  });
});
