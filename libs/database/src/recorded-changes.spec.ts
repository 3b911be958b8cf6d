import { changesAsWithClauses, withChanges } from './recorded-changes';

describe('changesAsWithClauses', () => {
  it('numbers each change’s parameters after the statement’s own and the changes before it', () => {
    const { clauses, params } = changesAsWithClauses(
      [
        { sql: 'UPDATE challenges SET consumed_at = now() WHERE id = $1', params: ['c1'] },
        { sql: 'INSERT INTO audit_events (actor, event) VALUES ($1, $2)', params: ['confirmer', 'factor_approved'] },
      ],
      8,
    );
    expect(clauses).toEqual([
      'change_0 AS (UPDATE challenges SET consumed_at = now() WHERE id = $8)',
      'change_1 AS (INSERT INTO audit_events (actor, event) VALUES ($9, $10))',
    ]);
    expect(params).toEqual(['c1', 'confirmer', 'factor_approved']);
  });

  it('renumbers a parameter used twice, and past $9 without confusing $1 with $10', () => {
    const change = { sql: 'SELECT $1, $10, $1', params: Array.from({ length: 10 }, (_, i) => i) };
    expect(changesAsWithClauses([change], 3).clauses).toEqual(['change_0 AS (SELECT $3, $12, $3)']);
  });

  it('adds nothing for no change', () => {
    expect(changesAsWithClauses([], 1)).toEqual({ clauses: [], params: [] });
  });

  it('refuses a change that names a parameter it does not have', () => {
    expect(() => changesAsWithClauses([{ sql: 'DELETE FROM outbox WHERE id = $2', params: [1] }], 1)).toThrow(RangeError);
  });
});

describe('withChanges', () => {
  const consumed = { sql: 'UPDATE challenges SET consumed_at = now() WHERE id = $1', params: ['c1'] };

  it('puts the changes ahead of the statement, their parameters after its own', () => {
    expect(withChanges([consumed], 'SELECT ledger_reserve($1) AS id', ['w1'])).toEqual({
      sql: 'WITH change_0 AS (UPDATE challenges SET consumed_at = now() WHERE id = $2) SELECT ledger_reserve($1) AS id',
      params: ['w1', 'c1'],
    });
  });

  it("puts them before the statement's own WITH clauses, which may read what comes before them", () => {
    expect(withChanges([consumed], 'SELECT * FROM decided', ['w1', 'email'], ['decided AS (UPDATE f SET s = $2 WHERE id = $1 RETURNING *)'])).toEqual(
      {
        sql: 'WITH change_0 AS (UPDATE challenges SET consumed_at = now() WHERE id = $3), decided AS (UPDATE f SET s = $2 WHERE id = $1 RETURNING *) SELECT * FROM decided',
        params: ['w1', 'email', 'c1'],
      },
    );
  });

  it('leaves a statement without changes or clauses as it is', () => {
    expect(withChanges([], 'SELECT 1 WHERE $1', [true])).toEqual({ sql: 'SELECT 1 WHERE $1', params: [true] });
  });
});
