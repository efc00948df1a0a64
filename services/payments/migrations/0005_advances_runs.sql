-- Monthly advances runs: one per month. Exactly once per child and month rests on the
-- primary key of advances_run_items and on the advance transfers' ids
-- ("advance/<YYYY-MM>/<dossier>/<child>/..."), both written in the batch's transaction.
CREATE TABLE advances_runs (
    month            date        PRIMARY KEY CHECK (extract(day FROM month) = 1),
    -- secal.v1.AdvancesRunState
    state            smallint    NOT NULL CHECK (state BETWEEN 1 AND 4),
    attempts         integer     NOT NULL DEFAULT 1,
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    children_total   bigint      NOT NULL DEFAULT 0,
    first_started_by text        NOT NULL,
    first_started_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE advances_run_items (
    month          date     NOT NULL REFERENCES advances_runs (month),
    dossier_number text     NOT NULL,
    child          text     NOT NULL,
    -- secal.v1.AdvancesRunItemStatus: 1 paid, 2 not eligible, 3 failed (retried next start).
    status         smallint NOT NULL CHECK (status BETWEEN 1 AND 3),
    amount_cents   bigint   NOT NULL DEFAULT 0 CHECK (amount_cents >= 0),
    reasons        smallint[] NOT NULL DEFAULT '{}',
    transfer_id    text,
    error          text,
    PRIMARY KEY (month, dossier_number, child),
    CONSTRAINT advance_paid_has_transfer CHECK ((status = 1) = (transfer_id IS NOT NULL AND amount_cents > 0))
);
CREATE INDEX ledger_transfers_by_month ON ledger_transfers (for_month, code) WHERE for_month IS NOT NULL;
