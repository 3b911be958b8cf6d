import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';

/**
 * One leader at a time among an app's replicas: a Postgres session advisory lock, held on a connection of
 * this object's own. Postgres lets go of it when that session ends, so a dead leader's role passes on.
 */
@Injectable()
export class AdvisoryLeadership implements OnApplicationShutdown {
  private client?: Client;
  private leading = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Whether this replica leads `name` now: takes the lock when it is free, checks its session when held. */
  async lead(name: string): Promise<boolean> {
    try {
      if (!this.client) {
        const client = new Client({
          connectionString: this.config.databaseUrls[this.config.app ?? 'confirmer'],
          application_name: 'countersign-leader',
        });
        client.on('error', () => this.drop());
        this.client = client;
        await client.connect();
      }
      if (this.leading) {
        await this.client.query('SELECT 1');
        return true;
      }
      const { rows } = await this.client.query<{ leader: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS leader', [name]);
      this.leading = rows[0]?.leader === true;
      return this.leading;
    } catch (error) {
      this.drop();
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.leading = false;
    await client?.end().catch(() => undefined);
  }

  /** Ends the session (and with it the lock): a broken connection never keeps the role from the others. */
  private drop(): void {
    const client = this.client;
    this.client = undefined;
    this.leading = false;
    void client?.end().catch(() => undefined);
  }
}
