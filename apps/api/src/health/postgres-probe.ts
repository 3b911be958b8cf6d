import { APP_CONFIG, AppConfig } from '@app/config';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';

/** How long connecting or answering may take before Postgres counts as unreachable. */
export const POSTGRES_PROBE_TIMEOUT_MS = 500;

/**
 * The Postgres adapter /health and the outage detection probe with: a connection of its own, as the API's
 * role, that gives up after half a second. Not the app's pool: a probe stuck behind busy or hung pool
 * connections would say nothing about Postgres, and hung probes would take the pool's connections away
 * from the requests.
 */
@Injectable()
export class PostgresProbe implements OnApplicationShutdown {
  private readonly pool: Pool;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.pool = new Pool({
      connectionString: config.databaseUrls.api,
      max: 1,
      connectionTimeoutMillis: POSTGRES_PROBE_TIMEOUT_MS,
      query_timeout: POSTGRES_PROBE_TIMEOUT_MS,
      application_name: 'countersign-health',
    });
    // An idle connection lost with Postgres: the next probe connects again and reports what it finds.
    this.pool.on('error', () => undefined);
  }

  /** One round trip; throws when Postgres cannot be reached or does not answer in time. */
  async ping(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT 1');
      client.release();
    } catch (error) {
      client.release(true); // a connection that failed a probe is not reused
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
