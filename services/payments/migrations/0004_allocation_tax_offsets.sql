-- Debtor of each dossier, to find a taxpayer's dossiers (digits of the national number).
ALTER TABLE dossier_states ADD COLUMN debtor_national_number text,
                           ADD COLUMN debtor_person_id text;
CREATE INDEX dossier_states_by_debtor ON dossier_states (debtor_national_number);

-- How each debtor payment (or confirmed tax-refund offset) was allocated, in order.
CREATE TABLE payment_allocations (
    payment_id    text     NOT NULL,
    position      integer  NOT NULL CHECK (position > 0),
    target        smallint NOT NULL CHECK (target BETWEEN 1 AND 6),
    for_month     date,
    creditor      text,
    amount_cents  bigint   NOT NULL CHECK (amount_cents > 0),
    beneficiary   smallint NOT NULL CHECK (beneficiary IN (1, 2)),
    PRIMARY KEY (payment_id, position)
);
CREATE TRIGGER payment_allocations_immutable
    BEFORE UPDATE OR DELETE OR TRUNCATE ON payment_allocations
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Indefinite suspensions of recovery, by the debtor's person id.
CREATE TABLE suspensions (
    id                     uuid        PRIMARY KEY,
    debtor_person_id       text        NOT NULL,
    dossier_numbers        text[]      NOT NULL,
    effective_from         date        NOT NULL,
    review_on              date        NOT NULL CHECK (review_on > effective_from),
    lifted_on              date,
    grounds                text        NOT NULL,
    granted_by             text        NOT NULL,
    granted_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX suspensions_by_debtor ON suspensions (debtor_person_id);

-- Tax-refund offsets, one per refund id. state: 1 proposed, 2 confirmed, 3 cancelled,
-- 4 expired. The hold is the pending transfers "taxrefund/<refund>/<dossier>".
CREATE TABLE tax_refund_offsets (
    refund_id              text        PRIMARY KEY CHECK (length(refund_id) BETWEEN 1 AND 100),
    taxpayer               text        NOT NULL,
    assessment_year        integer     NOT NULL,
    refund_cents           bigint      NOT NULL CHECK (refund_cents > 0),
    offset_cents           bigint      NOT NULL CHECK (offset_cents BETWEEN 0 AND refund_cents),
    state                  smallint    NOT NULL CHECK (state BETWEEN 1 AND 4),
    zero_reason            smallint    NOT NULL DEFAULT 0,
    hold_expires_at        timestamptz,
    proposed_by            text        NOT NULL,
    proposed_at            timestamptz NOT NULL DEFAULT now(),
    settled_by             text,
    settled_at             timestamptz,
    debtor_payment_ids     uuid[]      NOT NULL DEFAULT '{}',
    CONSTRAINT tax_offset_zero_has_reason CHECK ((offset_cents = 0) = (zero_reason <> 0))
);
CREATE TABLE tax_refund_offset_parts (
    refund_id      text   NOT NULL REFERENCES tax_refund_offsets (refund_id),
    dossier_number text   NOT NULL,
    amount_cents   bigint NOT NULL CHECK (amount_cents > 0),
    PRIMARY KEY (refund_id, dossier_number)
);

-- The certified debts the tax system pulls: one row per debtor, rewritten (with a new change
-- sequence) in the same transaction as any ledger change of the debtor's debt.
CREATE SEQUENCE certified_debt_changes;
CREATE TABLE certified_debts (
    debtor_national_number text        PRIMARY KEY,
    amount_cents           bigint      NOT NULL CHECK (amount_cents >= 0),
    since                  date,
    dossier_numbers        text[]      NOT NULL,
    change_sequence        bigint      NOT NULL UNIQUE,
    withdrawn              boolean     NOT NULL
);
