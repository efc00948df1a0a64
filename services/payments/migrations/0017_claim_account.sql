-- The claim account (secal.v1.ClaimAccountService): a dossier's debt booked by itself from the
-- rules. The money is only in the ledger; these tables say to what date each account is
-- booked, what each booking changed, the acts recorded after activation, the mandate's
-- comparison with the applicant's declaration, and the table of the last booking (the
-- prescription watch reads it).

-- A time-barred part of the debt moves from debtor-principal to this per-creditor account.
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check CHECK (kind BETWEEN 1 AND 14);

CREATE TABLE claim_accounts (
    dossier_number  text        PRIMARY KEY,
    -- Never goes back: a booking to an earlier date books nothing.
    booked_to       date        NOT NULL,
    bookings        bigint      NOT NULL DEFAULT 0 CHECK (bookings >= 0),
    -- The debtor fee of the application's regime, as the calculation service stated it.
    fee_percent     numeric     NOT NULL CHECK (fee_percent >= 0 AND fee_percent < 100),
    -- Kept from the sums passed on to the creditor (regimes before 2015; zero since).
    creditor_deduction_percent numeric NOT NULL DEFAULT 0
        CHECK (creditor_deduction_percent >= 0 AND creditor_deduction_percent < 100),
    mandate_booked_to date,
    -- Money was allocated since the last booking: the dues run books this account in full
    -- (interest and prescription may have moved), not by its fast path.
    stale           boolean     NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Why a dossier's account could not be booked when an event asked for it (e.g. a CPI month
-- not published yet); the event is taken all the same and the dues run retries the booking.
-- Deleted when a booking succeeds.
CREATE TABLE claim_booking_failures (
    dossier_number  text        PRIMARY KEY,
    reason          text        NOT NULL,
    failed_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per booking that changed something; immutable.
CREATE TABLE claim_bookings (
    dossier_number   text        NOT NULL REFERENCES claim_accounts (dossier_number),
    sequence         bigint      NOT NULL CHECK (sequence > 0),
    -- secal.v1.ClaimBookingKind.
    kind             smallint    NOT NULL CHECK (kind BETWEEN 1 AND 6),
    booked_to        date        NOT NULL,
    reason           text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    principal_cents  bigint      NOT NULL,
    fee_cents        bigint      NOT NULL,
    interest_cents   bigint      NOT NULL,
    barred_cents     bigint      NOT NULL,
    transfers        integer     NOT NULL CHECK (transfers > 0),
    -- The dues run it belongs to.
    run_date         date,
    booked_by        text        NOT NULL,
    booked_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dossier_number, sequence)
);
CREATE INDEX claim_bookings_by_run ON claim_bookings (run_date) WHERE run_date IS NOT NULL;
CREATE TRIGGER claim_bookings_immutable
    BEFORE UPDATE OR DELETE OR TRUNCATE ON claim_bookings
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Legal acts recorded after activation (the form's acts travel in the dossier snapshot).
CREATE TABLE claim_acts (
    act_id          uuid        PRIMARY KEY,
    dossier_number  text        NOT NULL,
    -- secal.v1.LegalActKind.
    kind            smallint    NOT NULL CHECK (kind BETWEEN 1 AND 6),
    act_date        date        NOT NULL,
    creditor_ids    text[]      NOT NULL,
    covered_first   date        CHECK (covered_first IS NULL OR extract(day FROM covered_first) = 1),
    covered_last    date        CHECK (covered_last IS NULL OR extract(day FROM covered_last) = 1),
    reference       text        NOT NULL CHECK (length(reference) BETWEEN 1 AND 200),
    recorded_by     text        NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_acts_by_dossier ON claim_acts (dossier_number, act_date);
CREATE TRIGGER claim_acts_immutable
    BEFORE UPDATE OR DELETE OR TRUNCATE ON claim_acts
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- The mandate's table as booked on activation beside the applicant's declaration; written once.
CREATE TABLE claim_mandate_lines (
    dossier_number  text    NOT NULL,
    creditor        text    NOT NULL,
    month           date    NOT NULL CHECK (extract(day FROM month) = 1),
    declared_cents  bigint,
    computed_cents  bigint  NOT NULL,
    PRIMARY KEY (dossier_number, creditor, month)
);

-- The table of each dossier's last booking (ComputeArrears' lines), replaced by every booking.
-- A projection for reading, not money: the ledger holds the amounts.
CREATE TABLE claim_lines (
    dossier_number     text     NOT NULL,
    creditor           text     NOT NULL,
    -- Title order of the creditor, for display.
    creditor_position  integer  NOT NULL,
    -- secal.v1.ArrearsLineKind.
    kind               smallint NOT NULL CHECK (kind IN (1, 2)),
    month              date     NOT NULL CHECK (extract(day FROM month) = 1),
    due_date           date     NOT NULL,
    due_cents          bigint   NOT NULL,
    unpaid_cents       bigint   NOT NULL,
    -- secal.v1.InstalmentStatus.
    status             smallint NOT NULL CHECK (status IN (1, 2, 3)),
    prescription_limit date     NOT NULL,
    limitation_set_by  text     NOT NULL,
    interest_cents     bigint   NOT NULL,
    interest_from      date,
    booked_to          date     NOT NULL,
    PRIMARY KEY (dossier_number, creditor, month, kind)
);
CREATE INDEX claim_lines_watch ON claim_lines (prescription_limit)
    WHERE status = 1 AND unpaid_cents > 0;

-- Monthly dues runs, one per run date. state: secal.v1.DuesRunState.
CREATE TABLE dues_runs (
    run_date        date        PRIMARY KEY,
    state           smallint    NOT NULL CHECK (state BETWEEN 1 AND 3),
    dossiers_total  bigint      NOT NULL DEFAULT 0,
    started_by      text        NOT NULL,
    -- The idempotency key of the last start (the run date itself keeps the bookings once).
    last_key        text        NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);

-- The run's transfers, for its reconciliation.
CREATE INDEX ledger_transfers_dues_run ON ledger_transfers (reference) WHERE reference LIKE 'dues-run/%';

-- A dossier a dues run could not book, and why; deleted when a later start books it.
CREATE TABLE dues_run_failures (
    run_date        date        NOT NULL REFERENCES dues_runs (run_date),
    dossier_number  text        NOT NULL,
    reason          text        NOT NULL,
    failed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_date, dossier_number)
);
