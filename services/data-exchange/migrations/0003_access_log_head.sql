-- The signed head of the access log: rewritten in the transaction of every append, so that
-- the newest entries (those after the last periodic checkpoint) are anchored too. Deleting
-- them leaves the head naming a sequence the chain no longer reaches, which VerifyAccessLog
-- reports; and the next sequence is taken from the head, so an erased number is never
-- handed out again.
CREATE TABLE access_log_head (
    singleton        boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    sequence         bigint      NOT NULL,
    entry_hash       bytea       NOT NULL,
    at               timestamptz NOT NULL,
    signed_statement text        NOT NULL,
    signature        bytea       NOT NULL,
    key_id           text        NOT NULL REFERENCES signing_keys (key_id)
);

-- The head moves forward by UPDATE only; removing it would hide a cut-off tail.
CREATE TRIGGER access_log_head_not_removed
    BEFORE DELETE OR TRUNCATE ON access_log_head
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();

REVOKE DELETE, TRUNCATE ON access_log_head FROM CURRENT_USER;

-- A head may only move forward: a replayed older head would hide the entries after it.
CREATE FUNCTION access_log_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.sequence <= OLD.sequence THEN
        RAISE EXCEPTION 'access_log_head only moves forward';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER access_log_head_forward
    BEFORE UPDATE ON access_log_head
    FOR EACH ROW EXECUTE FUNCTION access_log_head_forward_only();
