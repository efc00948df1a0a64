-- What a look-up entry records beyond 0001, the signed checkpoints, the signing keys and the
-- retention purges.

ALTER TABLE access_log
    ADD COLUMN action                 text    NOT NULL DEFAULT 'ACCESS_ACTION_INCOME_LOOKUP',
    ADD COLUMN situation_on           date,
    ADD COLUMN last_known             boolean NOT NULL DEFAULT false,
    ADD COLUMN source_outcomes        text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN flagged_unusual_volume boolean NOT NULL DEFAULT false,
    ADD COLUMN justification          text    NOT NULL DEFAULT '',
    ADD COLUMN trace_id               text    NOT NULL DEFAULT '';

CREATE INDEX access_log_subject ON access_log (subject_digest);
CREATE INDEX access_log_agent ON access_log (agent_id, sequence);
CREATE INDEX access_log_at ON access_log (at);

-- Updates and truncation are refused whoever asks. Deletes only by the retention purge: the
-- purge sets `secal.access_log_purge_before` in its own transaction and only rows dated
-- before it may go (the service checks that date is at least 10 years back).
DROP TRIGGER access_log_append_only ON access_log;

CREATE TRIGGER access_log_no_update
    BEFORE UPDATE OR TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();

CREATE FUNCTION access_log_delete_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cutoff text := current_setting('secal.access_log_purge_before', true);
BEGIN
    IF cutoff IS NULL OR cutoff = '' OR OLD.at >= cutoff::timestamptz THEN
        RAISE EXCEPTION 'access_log is append-only (DELETE refused outside the retention purge)';
    END IF;
    RETURN OLD;
END $$;

CREATE TRIGGER access_log_delete_only_by_purge
    BEFORE DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_delete_guard();

-- The service's own role (the owner) gives up UPDATE and TRUNCATE on the log.
REVOKE UPDATE, TRUNCATE ON access_log FROM CURRENT_USER;

CREATE TABLE signing_keys (
    key_id     text        PRIMARY KEY,
    algorithm  text        NOT NULL,
    public_key bytea       NOT NULL,
    valid_from timestamptz NOT NULL
);

-- A signed statement of the chain head at `sequence`. A purge anchor states the head of the
-- purged prefix, so that the first kept entry's previous_hash is still checked.
CREATE TABLE access_log_checkpoints (
    id               bigserial   PRIMARY KEY,
    sequence         bigint      NOT NULL,
    entry_hash       bytea       NOT NULL,
    entry_count      bigint      NOT NULL,
    at               timestamptz NOT NULL,
    signed_statement text        NOT NULL,
    signature        bytea       NOT NULL,
    key_id           text        NOT NULL REFERENCES signing_keys (key_id),
    purge_anchor     boolean     NOT NULL DEFAULT false
);

CREATE INDEX access_log_checkpoints_sequence ON access_log_checkpoints (sequence);

CREATE TRIGGER access_log_checkpoints_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();
