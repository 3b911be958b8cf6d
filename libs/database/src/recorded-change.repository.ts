import { Injectable } from '@nestjs/common';
import { RecordedChange, withChanges } from './recorded-changes';
import { Repository } from './repository';

/** Changes made by a statement of their own, outside any transaction: atomic together, one round trip, one commit. */
@Injectable()
export class RecordedChangeRepository extends Repository {
  async make(changes: RecordedChange[]): Promise<void> {
    // Data-modifying WITH clauses run to completion whether or not the statement reads them.
    const statement = withChanges(changes, 'SELECT 1', []);
    await this.rows(statement.sql, statement.params);
  }
}
