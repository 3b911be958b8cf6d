import { DataSource } from 'typeorm';

/** What is wrong with the audit log, entry by entry. */
export interface AuditFault {
  kind: 'altered' | 'removed' | 'inserted';
  /** The entry at fault when it is known; for links removed with their entries, the entry after the gap. */
  entryId: string | null;
  chain: number | null;
  seq: string | null;
  detail: string;
}

export interface AuditReport {
  entries: number;
  chains: number;
  /** Ordered by the entry they name (the first fault first). */
  faults: AuditFault[];
}

interface LinkRow {
  chain: number;
  seq: string;
  eventId: string;
  prevHash: Buffer;
  hash: Buffer;
  present: boolean;
  recomputed: Buffer | null;
}

const PAGE = 5000;

/**
 * Each link with its entry and the entry's hash recomputed from what is stored now. This is a copy of
 * AUDIT_HASH_SQL (the migration's), on purpose: the check must not trust a function in the database it checks.
 */
const LINKS = `
  SELECT c.chain, c.seq::text AS seq, c.event_id::text AS "eventId", c.prev_hash AS "prevHash", c.hash,
         e.id IS NOT NULL AS present,
         CASE WHEN e.id IS NULL THEN NULL ELSE sha256(c.prev_hash || convert_to(concat_ws(chr(31),
           'countersign-audit-v1', c.chain::text, c.seq::text, e.id::text,
           to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           quote_nullable(e.actor), quote_nullable(e.event), quote_nullable(e.user_id),
           quote_nullable(e.withdrawal_id::text), quote_nullable(e.detail::text)), 'UTF8')) END AS recomputed
    FROM audit_chain c LEFT JOIN audit_events e ON e.id = c.event_id
   WHERE (c.chain, c.seq) > ($1::smallint, $2::bigint)
   ORDER BY c.chain, c.seq LIMIT ${PAGE}`;

/** The genesis of each chain, computed here as the migration does. */
const GENESIS = `SELECT c AS chain, sha256(convert_to('countersign-audit-genesis' || chr(31) || c::text, 'UTF8')) AS hash
                   FROM generate_series(0, $1::int - 1) AS c`;

/**
 * Walks every chain from its genesis: an entry whose content no longer gives its hash was altered; a link
 * whose entry is gone, or a gap in a chain's sequence, is a removal; an entry in no chain, or one its
 * successor was not linked to, was inserted (or replaced); the heads say where each chain ends, so a
 * removed tail shows too. Reads one snapshot (REPEATABLE READ), so writers may go on meanwhile.
 */
export async function verifyAuditChain(dataSource: DataSource): Promise<AuditReport> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction('REPEATABLE READ');
    // TypeORM types a raw answer as any: each is typed here after its SQL's columns.
    const query = async <T>(sql: string, parameters?: unknown[]): Promise<T[]> => (await runner.query(sql, parameters)) as T[];
    const heads = await query<{ chain: number; seq: string; hash: Buffer }>(
      'SELECT chain, seq::text AS seq, hash FROM audit_chain_heads ORDER BY chain',
    );
    const chainCount = heads.length ? Math.max(...heads.map((h) => h.chain)) + 1 : 0;
    const genesis = new Map((await query<{ chain: number; hash: Buffer }>(GENESIS, [chainCount])).map((g) => [g.chain, g.hash]));
    const headOf = new Map(heads.map((h) => [h.chain, h]));
    const faults: (AuditFault & { position: bigint })[] = [];
    const fault = (f: AuditFault, position: string | null) =>
      faults.push({ ...f, position: position === null ? BigInt(Number.MAX_SAFE_INTEGER) : BigInt(position) });

    let entries = 0;
    let last: { chain: number; seq: bigint; hash: Buffer; eventId: string } | undefined;
    const closeChain = (chain: number | undefined) => {
      if (chain === undefined) return;
      const head = headOf.get(chain);
      const end = last && last.chain === chain ? last : undefined;
      if (!head || !end) return;
      const headSeq = BigInt(head.seq);
      if (headSeq > end.seq) {
        fault(
          {
            kind: 'removed',
            entryId: null,
            chain,
            seq: `${end.seq + 1n}..${headSeq}`,
            detail: `the last ${headSeq - end.seq} entr(y/ies) of chain ${chain}, after entry ${end.eventId}, are gone`,
          },
          end.eventId,
        );
      } else if (headSeq === end.seq && !head.hash.equals(end.hash)) {
        fault(
          { kind: 'altered', entryId: end.eventId, chain, seq: String(end.seq), detail: `entry ${end.eventId}'s link differs from its chain's head` },
          end.eventId,
        );
      }
    };

    let after: [number, string] = [-1, '0'];
    for (;;) {
      const rows = await query<LinkRow>(LINKS, after);
      for (const row of rows) {
        const seq = BigInt(row.seq);
        if (!last || last.chain !== row.chain) {
          closeChain(last?.chain);
          // Chains the heads do not know were made outside the trigger.
          const start = genesis.get(row.chain);
          if (!headOf.has(row.chain) || !start) {
            fault(
              {
                kind: 'inserted',
                entryId: row.eventId,
                chain: row.chain,
                seq: row.seq,
                detail: `entry ${row.eventId} is linked into chain ${row.chain}, which no head keeps`,
              },
              row.eventId,
            );
            last = { chain: row.chain, seq, hash: row.hash, eventId: row.eventId };
            continue;
          }
          last = { chain: row.chain, seq: 0n, hash: start, eventId: '(genesis)' };
        }
        const previous = last;
        if (seq > previous.seq + 1n) {
          fault(
            {
              kind: 'removed',
              entryId: null,
              chain: row.chain,
              seq: `${previous.seq + 1n}..${seq - 1n}`,
              detail: `${seq - previous.seq - 1n} entr(y/ies) of chain ${row.chain} between entry ${previous.eventId} and entry ${row.eventId} are gone`,
            },
            row.eventId,
          );
        } else if (!row.prevHash.equals(previous.hash)) {
          fault(
            {
              kind: 'inserted',
              entryId: previous.eventId,
              chain: row.chain,
              seq: String(previous.seq),
              detail: `entry ${row.eventId} was linked after another entry than ${previous.eventId}: ${previous.eventId} was inserted or replaced`,
            },
            previous.eventId === '(genesis)' ? row.eventId : previous.eventId,
          );
        }
        if (!row.present) {
          fault(
            { kind: 'removed', entryId: row.eventId, chain: row.chain, seq: row.seq, detail: `entry ${row.eventId} is gone; its link remains` },
            row.eventId,
          );
        } else {
          entries++;
          if (!row.recomputed || !row.recomputed.equals(row.hash)) {
            fault(
              { kind: 'altered', entryId: row.eventId, chain: row.chain, seq: row.seq, detail: `entry ${row.eventId} no longer matches its hash` },
              row.eventId,
            );
          }
        }
        last = { chain: row.chain, seq, hash: row.hash, eventId: row.eventId };
      }
      if (rows.length < PAGE) break;
      const tail = rows[rows.length - 1];
      after = [tail.chain, tail.seq];
    }
    closeChain(last?.chain);
    // Heads whose chain has no link at all, though they say it has.
    const linked = new Set((await query<{ chain: number }>('SELECT DISTINCT chain FROM audit_chain')).map((r) => r.chain));
    for (const head of heads) {
      if (BigInt(head.seq) > 0n && !linked.has(head.chain)) {
        fault(
          {
            kind: 'removed',
            entryId: null,
            chain: head.chain,
            seq: `1..${head.seq}`,
            detail: `all ${head.seq} entr(y/ies) of chain ${head.chain} are gone`,
          },
          null,
        );
      }
    }

    const unlinked = await query<{ id: string }>(
      'SELECT e.id::text AS id FROM audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id) ORDER BY e.id',
    );
    for (const { id } of unlinked) {
      entries++;
      fault(
        { kind: 'inserted', entryId: id, chain: null, seq: null, detail: `entry ${id} is in no chain: it was written around the chaining trigger` },
        id,
      );
    }
    await runner.commitTransaction();
    faults.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
    return { entries, chains: heads.length, faults: faults.map(({ position: _position, ...f }) => f) };
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
}
