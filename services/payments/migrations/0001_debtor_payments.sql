CREATE TABLE idempotency_keys (
    method         text        NOT NULL,
    key            text        NOT NULL,
    request_digest bytea       NOT NULL,
    response       bytea,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (method, key)
);

-- Money received from debtors, in integer cents (the ledger never stores fractions of a
-- cent). Recorded once; a correction is a new record, never an edit.
CREATE TABLE debtor_payments (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id      uuid        NOT NULL UNIQUE,
    dossier_number text        NOT NULL,
    amount_cents   bigint      NOT NULL CHECK (amount_cents > 0),
    received_on    date        NOT NULL,
    for_month      date        CHECK (for_month IS NULL OR extract(day FROM for_month) = 1),
    recorded_by    text        NOT NULL,
    recorded_via   text,
    recorded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX debtor_payments_by_dossier ON debtor_payments (dossier_number, id);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is immutable (% refused)', TG_TABLE_NAME, TG_OP;
END $$;

CREATE TRIGGER debtor_payments_immutable
    BEFORE UPDATE OR DELETE OR TRUNCATE ON debtor_payments
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
