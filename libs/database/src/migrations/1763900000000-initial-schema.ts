import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The schema of customers, factors, withdrawals, challenges, the outbox and the audit log.
 * The ledger and its guards come in the next migration; roles and grants after that.
 */
export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
        email text,
        email_verified_at timestamptz,
        withdrawals_frozen_at timestamptz,
        frozen_reason text,
        withdrawals_locked_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE email_verifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id text NOT NULL REFERENCES users(id),
        email text NOT NULL,
        token_hash bytea UNIQUE CHECK (length(token_hash) = 32),
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        sent_at timestamptz,
        consumed_at timestamptz
      );

      CREATE TABLE totp_enrolments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id text NOT NULL REFERENCES users(id),
        sealed_secret text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'revoked')),
        created_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        revoked_at timestamptz
      );
      CREATE UNIQUE INDEX totp_enrolments_one_active ON totp_enrolments (user_id) WHERE status = 'active';

      -- A TOTP code is accepted at most once per user and time step: the primary key is the replay guard.
      CREATE TABLE totp_used_steps (
        user_id text NOT NULL REFERENCES users(id),
        step bigint NOT NULL,
        used_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, step)
      );

      CREATE TABLE totp_failures (
        id bigserial PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id),
        withdrawal_id uuid,
        failed_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX totp_failures_recent ON totp_failures (user_id, failed_at);

      CREATE TABLE push_subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id text NOT NULL REFERENCES users(id),
        endpoint text NOT NULL CHECK (endpoint ~ '^https?://'),
        p256dh text NOT NULL,
        auth text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz,
        retired_reason text
      );
      CREATE UNIQUE INDEX push_subscriptions_live_endpoint ON push_subscriptions (user_id, endpoint) WHERE retired_at IS NULL;

      CREATE TABLE withdrawal_addresses (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id text NOT NULL REFERENCES users(id),
        asset text NOT NULL CHECK (asset ~ '^[A-Z0-9]{2,12}$'),
        network text NOT NULL CHECK (network ~ '^[a-z0-9-]{2,32}$'),
        address text NOT NULL,
        label text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        usable_at timestamptz NOT NULL,
        deleted_at timestamptz
      );

      -- The digest binds every confirmation to the exact details: recomputed by Postgres whenever a detail changes.
      CREATE FUNCTION withdrawal_digest(user_id text, asset text, network text, amount numeric, fee numeric, address text)
        RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT sha256(convert_to(concat_ws(chr(31), 'countersign-withdrawal-v1', user_id, asset, network,
                                                  amount::numeric(38,18)::text, fee::numeric(38,18)::text, address), 'UTF8')) $$;

      CREATE TABLE withdrawals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id text NOT NULL REFERENCES users(id),
        address_id uuid REFERENCES withdrawal_addresses(id),
        asset text NOT NULL,
        network text NOT NULL,
        address text NOT NULL,
        amount numeric(38,18) NOT NULL CHECK (amount > 0),
        fee numeric(38,18) NOT NULL DEFAULT 0 CHECK (fee >= 0),
        digest bytea GENERATED ALWAYS AS (withdrawal_digest(user_id, asset, network, amount, fee, address)) STORED,
        status text NOT NULL DEFAULT 'pending_confirmation'
          CHECK (status IN ('pending_confirmation', 'held', 'posted', 'denied', 'expired', 'cancelled', 'rejected')),
        match_code text NOT NULL CHECK (match_code ~ '^[0-9]{2}$'),
        match_choices text[] NOT NULL CHECK (match_code = ANY (match_choices)),
        idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
        request_hash bytea NOT NULL,
        request_ip text,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        decided_at timestamptz,
        posted_at timestamptz,
        reason text,
        UNIQUE (user_id, idempotency_key),
        CHECK ((status = 'posted') = (posted_at IS NOT NULL))
      );
      CREATE INDEX withdrawals_by_user ON withdrawals (user_id, created_at DESC, id DESC);
      CREATE INDEX withdrawals_open_by_expiry ON withdrawals (expires_at) WHERE status = 'pending_confirmation';

      -- One row per factor, created with the withdrawal; only the confirmation service may change it.
      CREATE TABLE withdrawal_factors (
        withdrawal_id uuid NOT NULL REFERENCES withdrawals(id),
        factor text NOT NULL CHECK (factor IN ('email', 'push', 'totp')),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied', 'locked', 'expired')),
        digest bytea,
        decided_at timestamptz,
        failures integer NOT NULL DEFAULT 0,
        wrong_match_picks integer NOT NULL DEFAULT 0,
        evidence text,
        PRIMARY KEY (withdrawal_id, factor),
        CHECK (status <> 'approved' OR (digest IS NOT NULL AND decided_at IS NOT NULL AND evidence IS NOT NULL))
      );

      CREATE FUNCTION withdrawals_create_factors() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
      BEGIN
        INSERT INTO withdrawal_factors (withdrawal_id, factor)
          SELECT NEW.id, f FROM unnest(ARRAY['email', 'push', 'totp']) AS f;
        RETURN NEW;
      END $$;
      CREATE TRIGGER withdrawals_create_factors AFTER INSERT ON withdrawals
        FOR EACH ROW EXECUTE FUNCTION withdrawals_create_factors();

      -- Email and push challenges: the raw token exists only in the message; here only its SHA-256.
      CREATE TABLE challenges (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        withdrawal_id uuid NOT NULL REFERENCES withdrawals(id),
        factor text NOT NULL CHECK (factor IN ('email', 'push')),
        subscription_id uuid REFERENCES push_subscriptions(id),
        token_hash bytea UNIQUE CHECK (length(token_hash) = 32),
        digest bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        consumed_at timestamptz,
        CONSTRAINT challenges_one_per_device UNIQUE NULLS NOT DISTINCT (withdrawal_id, factor, subscription_id),
        CHECK ((factor = 'push') = (subscription_id IS NOT NULL))
      );

      -- Messages sent at most once per key (outcome emails, alerts), whatever the deliveries.
      CREATE TABLE sent_notifications (
        key text PRIMARY KEY,
        sent_at timestamptz NOT NULL DEFAULT now()
      );

      -- Transactional outbox: a change and the jobs it implies commit together; a relay publishes them.
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        queue text NOT NULL,
        name text NOT NULL,
        job_id text NOT NULL,
        data jsonb NOT NULL,
        run_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      );
      CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

      -- Append-only audit log.
      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        event text NOT NULL,
        user_id text,
        withdrawal_id uuid,
        detail jsonb NOT NULL DEFAULT '{}'
      );
      CREATE INDEX audit_events_by_withdrawal ON audit_events (withdrawal_id, id);
      CREATE INDEX audit_events_by_user ON audit_events (user_id, id);

      CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE audit_events, outbox, sent_notifications, challenges, withdrawal_factors, withdrawals,
        withdrawal_addresses, push_subscriptions, totp_failures, totp_used_steps, totp_enrolments,
        email_verifications, users;
      DROP FUNCTION refuse_change(), withdrawals_create_factors(), withdrawal_digest(text, text, text, numeric, numeric, text);
    `);
  }
}
