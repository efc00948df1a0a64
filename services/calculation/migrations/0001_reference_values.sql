-- Idempotency keys of mutating RPCs (see secal_runtime::idempotency).
CREATE TABLE idempotency_keys (
    method         text        NOT NULL,
    key            text        NOT NULL,
    request_digest bytea       NOT NULL,
    response       bytea,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (method, key)
);

-- Dated reference figures the rules use; a rule asks for "the value in force on date D".
--
-- History is append-only: a row is never updated or deleted. Correcting a value, or ending an
-- open-ended one, inserts a new row whose supersedes_id names the row it replaces (an ending
-- is a copy of the open value with an end date). Which rows are live (not superseded) is
-- derived into reference_live by a trigger, and that is where overlap is excluded.
CREATE TABLE reference_values (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text        NOT NULL CHECK (kind IN (
                         'cpi', 'legal_interest_rate', 'advance_cap', 'applicant_income_ceiling',
                         'applicant_income_ceiling_child_increment', 'seizure_brackets',
                         'debtor_surcharge')),
    -- "YYYY-MM" for CPI, empty for the other kinds.
    key              text        NOT NULL DEFAULT '',
    valid_from       date        NOT NULL,
    -- Inclusive; NULL when open-ended.
    valid_to         date,
    -- The figure of single-number kinds (percent, index, or EUR).
    value            numeric,
    -- Seizure brackets (Judicial Code art. 1409), EUR per month.
    threshold_a      numeric(12, 2),
    threshold_b      numeric(12, 2),
    threshold_c      numeric(12, 2),
    threshold_d      numeric(12, 2),
    child_increment  numeric(12, 2),
    -- Debtor surcharge rule, percent.
    debtor_percent   numeric(7, 4),
    creditor_percent numeric(7, 4),
    -- The rule the kind feeds does not apply in the period (no figure then).
    abolished        boolean     NOT NULL DEFAULT false,
    source           text        NOT NULL CHECK (length(btrim(source)) BETWEEN 1 AND 500),
    supersedes_id    bigint      UNIQUE REFERENCES reference_values (id),
    reason           text        NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
    recorded_by      text        NOT NULL CHECK (length(recorded_by) BETWEEN 1 AND 200),
    recorded_via     text,
    recorded_at      timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT validity_ordered CHECK (valid_to IS NULL OR valid_to >= valid_from),
    CONSTRAINT supersedes_an_earlier_value CHECK (supersedes_id < id),
    -- A CPI value covers exactly its month; the other kinds have no key.
    -- (CASE, not AND: to_date must never see a malformed key.)
    CONSTRAINT key_matches_kind CHECK (CASE
        WHEN kind <> 'cpi' THEN key = ''
        WHEN key !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN false
        ELSE valid_from = to_date(key || '-01', 'YYYY-MM-DD')
            AND valid_to = (to_date(key || '-01', 'YYYY-MM-DD') + interval '1 month - 1 day')::date
        END),
    -- Exactly the columns of the kind's payload are filled.
    CONSTRAINT payload_matches_kind CHECK (CASE
        WHEN abolished THEN
            kind IN ('applicant_income_ceiling', 'applicant_income_ceiling_child_increment')
            AND num_nonnulls(value, threshold_a, threshold_b, threshold_c, threshold_d,
                             child_increment, debtor_percent, creditor_percent) = 0
        WHEN kind = 'seizure_brackets' THEN
            num_nonnulls(threshold_a, threshold_b, threshold_c, threshold_d, child_increment) = 5
            AND num_nonnulls(value, debtor_percent, creditor_percent) = 0
        WHEN kind = 'debtor_surcharge' THEN
            num_nonnulls(debtor_percent, creditor_percent) = 2
            AND num_nonnulls(value, threshold_a, threshold_b, threshold_c, threshold_d,
                             child_increment) = 0
        ELSE
            value IS NOT NULL
            AND num_nonnulls(threshold_a, threshold_b, threshold_c, threshold_d,
                             child_increment, debtor_percent, creditor_percent) = 0
        END),
    CONSTRAINT figures_not_negative CHECK (
        value >= 0 AND threshold_a >= 0 AND child_increment >= 0
        AND debtor_percent >= 0 AND creditor_percent >= 0),
    CONSTRAINT brackets_ordered CHECK (
        threshold_a < threshold_b AND threshold_b < threshold_c AND threshold_c < threshold_d),
    CONSTRAINT percents_at_most_100 CHECK (
        debtor_percent <= 100 AND creditor_percent <= 100
        AND (kind <> 'legal_interest_rate' OR value <= 100)),
    CONSTRAINT cpi_positive CHECK (kind <> 'cpi' OR value > 0),
    CONSTRAINT amounts_in_cents CHECK (
        kind NOT IN ('advance_cap', 'applicant_income_ceiling',
                     'applicant_income_ceiling_child_increment')
        OR scale(value) <= 2)
);

CREATE INDEX reference_values_kind_key ON reference_values (kind, key, valid_from, id);

-- One row per kind and key: its id stands for the pair in the exclusion constraint below,
-- which then needs only the built-in range operators (btree_gist would need a superuser or
-- CREATE on the database, which a service role does not have).
CREATE TABLE reference_series (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text   NOT NULL,
    key  text   NOT NULL,
    UNIQUE (kind, key)
);

-- The live values (not superseded), derived from reference_values by trigger only.
CREATE TABLE reference_live (
    value_id  bigint    PRIMARY KEY REFERENCES reference_values (id),
    series_id bigint    NOT NULL REFERENCES reference_series (id),
    validity  daterange NOT NULL,
    CONSTRAINT live_values_do_not_overlap EXCLUDE USING gist (
        (int8range(series_id, series_id, '[]')) WITH &&, validity WITH &&)
);

-- Who changed what, when and why; one row per value added, ended or corrected.
CREATE TABLE reference_audit (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                timestamptz NOT NULL DEFAULT now(),
    actor             text        NOT NULL,
    via               text,
    action            text        NOT NULL CHECK (action IN ('load', 'add', 'end', 'correct')),
    -- The value written by the change.
    value_id          bigint      NOT NULL REFERENCES reference_values (id),
    -- The stored value it ended or corrected.
    affected_value_id bigint      REFERENCES reference_values (id),
    reason            text        NOT NULL DEFAULT '',
    idempotency_key   text,
    detail            text        NOT NULL
);

-- Bumped by every insert so that each replica's cache can tell, with one cheap read,
-- whether its copy of the table is stale.
CREATE TABLE reference_data_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version   bigint  NOT NULL
);
INSERT INTO reference_data_version (version) VALUES (0);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'P0001';
END $$;

CREATE TRIGGER reference_values_append_only
    BEFORE UPDATE OR DELETE ON reference_values
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER reference_values_no_truncate
    BEFORE TRUNCATE ON reference_values
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER reference_audit_append_only
    BEFORE UPDATE OR DELETE ON reference_audit
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER reference_audit_no_truncate
    BEFORE TRUNCATE ON reference_audit
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- reference_live is derived: only the maintaining trigger below (nesting depth 2) may
-- write it, so that it cannot drift from the history.
CREATE FUNCTION reference_live_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'reference_live is maintained from reference_values only'
            USING ERRCODE = 'P0001';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER reference_live_guarded
    BEFORE INSERT OR UPDATE OR DELETE ON reference_live
    FOR EACH ROW EXECUTE FUNCTION reference_live_guard();
CREATE TRIGGER reference_live_no_truncate
    BEFORE TRUNCATE ON reference_live
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

CREATE FUNCTION reference_values_track_live() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    series bigint;
    replaced reference_values%ROWTYPE;
BEGIN
    IF NEW.supersedes_id IS NOT NULL THEN
        SELECT * INTO replaced FROM reference_values WHERE id = NEW.supersedes_id;
        IF replaced.kind <> NEW.kind OR replaced.key <> NEW.key THEN
            RAISE EXCEPTION 'value % may only supersede a value of its own kind and key',
                NEW.id USING ERRCODE = 'P0001';
        END IF;
        DELETE FROM reference_live WHERE value_id = NEW.supersedes_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'value % is already superseded', NEW.supersedes_id
                USING ERRCODE = 'P0001';
        END IF;
    END IF;
    INSERT INTO reference_series (kind, key) VALUES (NEW.kind, NEW.key)
        ON CONFLICT (kind, key) DO NOTHING;
    SELECT id INTO series FROM reference_series WHERE kind = NEW.kind AND key = NEW.key;
    INSERT INTO reference_live (value_id, series_id, validity)
        VALUES (NEW.id, series, daterange(NEW.valid_from, NEW.valid_to, '[]'));
    RETURN NULL;
END $$;

CREATE TRIGGER reference_values_live
    AFTER INSERT ON reference_values
    FOR EACH ROW EXECUTE FUNCTION reference_values_track_live();

CREATE FUNCTION reference_data_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reference_data_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER reference_values_bump_version
    AFTER INSERT ON reference_values
    FOR EACH STATEMENT EXECUTE FUNCTION reference_data_bump_version();
