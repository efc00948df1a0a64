-- Payment plans: instalments sized on the debtor's seizable income (or set by an agent with a
-- reason). status: 1 active, 2 ended; end_reason as secal.v1.PaymentPlanEndReason.
CREATE TABLE payment_plans (
    seq                        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id                         uuid        PRIMARY KEY,
    debtor_person_id           text        NOT NULL,
    dossier_numbers            text[]      NOT NULL CHECK (cardinality(dossier_numbers) > 0),
    status                     smallint    NOT NULL CHECK (status IN (1, 2)),
    start_date                 date        NOT NULL,
    due_day                    smallint    NOT NULL CHECK (due_day BETWEEN 1 AND 28),
    instalment_cents           bigint      NOT NULL CHECK (instalment_cents > 0),
    instalment_count           integer     NOT NULL CHECK (instalment_count >= 0),
    seizable_cents             bigint      NOT NULL CHECK (seizable_cents >= 0),
    -- secal.v1.Explanation of the sizing, as the calculation service gave it (protobuf).
    sizing_explanation         bytea,
    override_reason            text        NOT NULL DEFAULT '',
    structured_reference       text        NOT NULL,
    income_month               date        NOT NULL,
    lookup_access_log_sequence bigint      NOT NULL DEFAULT 0,
    end_reason                 smallint    NOT NULL DEFAULT 0,
    ended_on                   date,
    end_note                   text        NOT NULL DEFAULT '',
    ended_by                   text,
    created_by                 text        NOT NULL,
    created_via                text,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT plan_end_consistent CHECK ((status = 2) = (ended_on IS NOT NULL AND end_reason <> 0))
);
CREATE INDEX payment_plans_by_debtor ON payment_plans (debtor_person_id, seq);
CREATE INDEX payment_plans_by_dossier ON payment_plans USING gin (dossier_numbers);
CREATE INDEX payment_plans_active ON payment_plans (seq) WHERE status = 1;

-- The instalments of a plan, fixed at creation. A missed mark is set once by detection.
CREATE TABLE plan_instalments (
    plan_id        uuid    NOT NULL REFERENCES payment_plans (id),
    number         integer NOT NULL CHECK (number > 0),
    due_date       date    NOT NULL,
    amount_cents   bigint  NOT NULL CHECK (amount_cents > 0),
    missed_on      date,
    unpaid_cents   bigint  CHECK (unpaid_cents > 0),
    missed_by      text,
    PRIMARY KEY (plan_id, number),
    CONSTRAINT instalment_missed_consistent CHECK ((missed_on IS NULL) = (unpaid_cents IS NULL))
);

-- Suspensions: a key for pagination, the look-up the finding rests on, and their reviews.
ALTER TABLE suspensions
    ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    ADD COLUMN lookup_access_log_sequence bigint NOT NULL DEFAULT 0;
CREATE INDEX suspensions_due_for_review ON suspensions (review_on) WHERE lifted_on IS NULL;

-- outcome: 1 continue, 2 lift (secal.v1.SuspensionReviewOutcome).
CREATE TABLE suspension_reviews (
    suspension_id  uuid        NOT NULL REFERENCES suspensions (id),
    position       integer     NOT NULL CHECK (position > 0),
    reviewed_on    date        NOT NULL,
    outcome        smallint    NOT NULL CHECK (outcome IN (1, 2)),
    next_review_on date,
    note           text        NOT NULL DEFAULT '',
    reviewed_by    text        NOT NULL,
    reviewed_via   text,
    reviewed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (suspension_id, position),
    CONSTRAINT review_next_date CHECK ((outcome = 1) = (next_review_on IS NOT NULL))
);
CREATE TRIGGER suspension_reviews_immutable
    BEFORE UPDATE OR DELETE OR TRUNCATE ON suspension_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
