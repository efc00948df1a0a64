CREATE TABLE idempotency_keys (
    method         text        NOT NULL,
    key            text        NOT NULL,
    request_digest bytea       NOT NULL,
    response       bytea,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (method, key)
);

-- Every look-up, granted or refused, and every read of this log. Append-only: the trigger
-- below refuses updates and deletes whoever asks (retention purges come with their own,
-- audited path). Each entry's hash covers the previous entry's hash, so a changed, removed,
-- inserted or reordered entry breaks the chain.
CREATE TABLE access_log (
    sequence        bigint      PRIMARY KEY,
    at              timestamptz NOT NULL,
    agent_id        text        NOT NULL,
    via_system      text,
    subject_masked  text        NOT NULL,
    subject_digest  bytea,
    purpose         text        NOT NULL,
    dossier_number  text,
    sources         text[]      NOT NULL DEFAULT '{}',
    period_from     date,
    period_to       date,
    outcome         text        NOT NULL CHECK (outcome IN ('granted', 'refused')),
    refusal_rule    text,
    result_digest   bytea,
    prev_hash       bytea       NOT NULL,
    entry_hash      bytea       NOT NULL UNIQUE
);

CREATE FUNCTION access_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only (% refused)', TG_OP;
END $$;

CREATE TRIGGER access_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();
