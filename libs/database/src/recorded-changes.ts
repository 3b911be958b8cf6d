/** An INSERT, UPDATE or DELETE (no RETURNING needed), its parameters numbered from $1. */
export interface RecordedChange {
  sql: string;
  params: unknown[];
}

/**
 * `changes` as data-modifying WITH clauses ahead of a statement whose own parameters are `firstFree - 1` in
 * number: each change's parameters renumbered after those (and after the changes before it). Postgres runs
 * every data-modifying WITH once and to completion whether or not the statement reads it, so the changes
 * and the statement are one round trip, atomic together. Returns the clauses (`name AS (…)`, to join with
 * the statement's own WITH clauses, if any) and the parameters to append.
 */
export function changesAsWithClauses(changes: RecordedChange[], firstFree: number): { clauses: string[]; params: unknown[] } {
  let next = firstFree;
  const clauses = changes.map((change, i) => {
    const offset = next - 1;
    next += change.params.length;
    const sql = change.sql.replace(/\$(\d+)/g, (_, n: string) => {
      if (Number(n) < 1 || Number(n) > change.params.length)
        throw new RangeError(`$${n} is not one of the change's ${change.params.length} parameters`);
      return `$${Number(n) + offset}`;
    });
    return `change_${i} AS (${sql})`;
  });
  return { clauses, params: changes.flatMap((c) => c.params) };
}

/**
 * `statement` (its parameters `params`, numbered from $1) made in one round trip with `changes`: they go
 * ahead of it as data-modifying WITH clauses (changesAsWithClauses), before the statement's own `ownWith`
 * clauses, if it has any. No changes and no clauses: the statement as it is.
 */
export function withChanges(
  changes: RecordedChange[],
  statement: string,
  params: unknown[],
  ownWith: string[] = [],
): { sql: string; params: unknown[] } {
  const added = changesAsWithClauses(changes, params.length + 1);
  const clauses = [...added.clauses, ...ownWith];
  return { sql: clauses.length ? `WITH ${clauses.join(', ')} ${statement}` : statement, params: [...params, ...added.params] };
}
