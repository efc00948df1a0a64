-- Imported camt.053 statements, once per bank account and statement identification: a
-- re-import (any idempotency key) is answered with the first import's result.
CREATE TABLE bank_statements (
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id                uuid        NOT NULL UNIQUE,
    account_iban             text        NOT NULL,
    statement_identification text        NOT NULL,
    message_id               text        NOT NULL,
    file_sha256              text        NOT NULL,
    file_name                text        NOT NULL,
    -- secal.v1.ImportBankStatementResponse of the first import (protobuf).
    response                 bytea       NOT NULL,
    imported_by              text        NOT NULL,
    imported_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_iban, statement_identification)
);

-- Every booked line of a statement, credits and debits, never dropped. Unique per bank
-- account and bank reference, so an entry repeated in a later statement is recorded once.
-- kind: 1 credit, 2 debit, 3 returned payment. status: secal.v1.StatementLineStatus.
CREATE TABLE statement_lines (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id               uuid        NOT NULL UNIQUE,
    statement_id            uuid        NOT NULL REFERENCES bank_statements (public_id),
    account_iban            text        NOT NULL,
    bank_reference          text        NOT NULL,
    kind                    smallint    NOT NULL CHECK (kind IN (1, 2, 3)),
    booking_date            date,
    value_date              date,
    amount_cents            bigint      NOT NULL CHECK (amount_cents >= 0),
    counterparty_name       text        NOT NULL DEFAULT '',
    counterparty_iban       text        NOT NULL DEFAULT '',
    structured_reference    text        NOT NULL DEFAULT '',
    unstructured_remittance text        NOT NULL DEFAULT '',
    status                  smallint    NOT NULL,
    -- Why the line is unmatched (for the person who resolves it).
    reason                  text        NOT NULL DEFAULT '',
    debtor_payment_id       uuid,
    resolution              smallint    NOT NULL DEFAULT 0,
    resolution_note         text        NOT NULL DEFAULT '',
    resolved_by             text,
    resolved_at             timestamptz,
    UNIQUE (account_iban, bank_reference)
);
CREATE INDEX statement_lines_unmatched ON statement_lines (id) WHERE status = 2;
