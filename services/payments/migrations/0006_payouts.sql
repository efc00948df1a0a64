-- Payout accounts (per dossier) and pain.001 payout batches. Money moves only through the
-- ledger (pending payable -> paid-out transfers); these tables say where it went.
CREATE TABLE payout_accounts (
    seq                 bigint GENERATED ALWAYS AS IDENTITY,
    id                  text        PRIMARY KEY,
    dossier_number      text        NOT NULL,
    iban                text        NOT NULL,
    bic                 text        NOT NULL DEFAULT '',
    holder_name         text        NOT NULL,
    bank_name           text        NOT NULL DEFAULT '',
    -- secal.v1.AccountHolding: 1 sole, 2 joint, 3 lawyer.
    holding             smallint    NOT NULL CHECK (holding BETWEEN 1 AND 3),
    lawyer_name         text        NOT NULL DEFAULT '',
    lawyer_bar          text        NOT NULL DEFAULT '',
    lawyer_document_key text        NOT NULL DEFAULT '',
    -- secal.v1.PayoutAccountStatus: 1 pending, 2 active, 3 rejected, 4 replaced, 5 blocked.
    status              smallint    NOT NULL CHECK (status BETWEEN 1 AND 5),
    has_received_payout boolean     NOT NULL DEFAULT false,
    source_reference    text        NOT NULL DEFAULT '',
    confirmation_method smallint    NOT NULL DEFAULT 0,
    evidence_reference  text        NOT NULL DEFAULT '',
    note                text        NOT NULL DEFAULT '',
    requested_by        text        NOT NULL,
    requested_at        timestamptz NOT NULL DEFAULT now(),
    decided_by          text,
    decided_at          timestamptz,
    CONSTRAINT payout_lawyer_named CHECK (holding <> 3 OR lawyer_name <> ''),
    -- Separation of duties, also for writers other than the service.
    CONSTRAINT payout_decided_by_other CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
-- At most one account in use (active or blocked) per dossier.
CREATE UNIQUE INDEX payout_accounts_one_current ON payout_accounts (dossier_number)
    WHERE status IN (2, 5);

CREATE TABLE payout_batches (
    seq                      bigint GENERATED ALWAYS AS IDENTITY,
    id                       text        PRIMARY KEY,
    message_id               text        NOT NULL UNIQUE,
    requested_execution_date date        NOT NULL,
    payout_count             integer     NOT NULL CHECK (payout_count > 0),
    control_sum_cents        bigint      NOT NULL CHECK (control_sum_cents > 0),
    first_payout_count       integer     NOT NULL,
    file_name                text        NOT NULL,
    file_sha256              text        NOT NULL,
    xml                      text        NOT NULL,
    created_by               text        NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payouts (
    seq                 bigint GENERATED ALWAYS AS IDENTITY,
    id                  text        PRIMARY KEY,
    end_to_end_id       text        NOT NULL UNIQUE,
    batch_id            text        NOT NULL REFERENCES payout_batches (id),
    dossier_number      text        NOT NULL,
    creditor            text        NOT NULL,
    payout_account_id   text        NOT NULL REFERENCES payout_accounts (id),
    amount_cents        bigint      NOT NULL CHECK (amount_cents > 0),
    remittance          text        NOT NULL,
    -- secal.v1.PayoutState: 1 pending, 2 confirmed, 3 returned.
    state               smallint    NOT NULL CHECK (state BETWEEN 1 AND 3),
    first_payout        boolean     NOT NULL,
    pending_transfer_id text        NOT NULL UNIQUE,
    confirmed_on        date,
    returned_on         date,
    return_reason_code  text        NOT NULL DEFAULT '',
    return_reason_text  text        NOT NULL DEFAULT '',
    return_by           text,
    return_at           timestamptz,
    created_by          text        NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payouts_by_batch ON payouts (batch_id, seq);
CREATE INDEX payouts_pending_by_creditor ON payouts (dossier_number, creditor) WHERE state = 1;
