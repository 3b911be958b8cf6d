import { QueryFailedError } from 'typeorm';

export interface PostgresError {
  code: string;
  constraint?: string;
}

/** The SQLSTATE and constraint of a failed query: decisions are made on these, never on message text. */
export function postgresError(error: unknown): PostgresError | undefined {
  const driver = error instanceof QueryFailedError ? (error.driverError as Partial<PostgresError>) : (error as Partial<PostgresError>);
  if (driver && typeof driver.code === 'string' && /^[0-9A-Z]{5}$/.test(driver.code)) {
    return { code: driver.code, constraint: driver.constraint };
  }
  return undefined;
}

export const PG = {
  uniqueViolation: '23505',
  checkViolation: '23514',
  insufficientPrivilege: '42501',
} as const;

/** Whether Postgres refused the statement by this constraint (with this SQLSTATE). */
export function refusedBy(error: unknown, code: string, constraint: string): boolean {
  const pg = postgresError(error);
  return pg?.code === code && pg.constraint === constraint;
}
