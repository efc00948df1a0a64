-- Applications and dossiers. One row per application from its submission on: a dossier is
-- the application once accepted (it then has a number). What is searched or ruled on
-- (status, parties, dates, deadlines) is in columns; the form itself is kept whole, per
-- revision, as the canonical proto3 JSON of secal.v1.ApplicationForm (see application_forms).

CREATE TABLE dossier_number_counters (
    year          integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2999),
    last_sequence integer NOT NULL CHECK (last_sequence BETWEEN 1 AND 999999)
);

CREATE TABLE dossiers (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id     uuid        NOT NULL UNIQUE,
    dossier_number     text        UNIQUE,
    status             text        NOT NULL CHECK (status IN (
                           'INCOMPLETE', 'COMPLETE', 'DEBTOR_NOTIFIED', 'ACCEPTED', 'REFUSED',
                           'MANDATE_PROPOSED', 'MANDATE_SIGNED', 'ACTIVE', 'CLOSED')),
    version            bigint      NOT NULL DEFAULT 1 CHECK (version >= 1),
    kind               smallint    NOT NULL CHECK (kind BETWEEN 1 AND 3),
    channel            smallint    NOT NULL DEFAULT 0,
    form_revision      integer     NOT NULL DEFAULT 1,
    received_on        date        NOT NULL,
    completed_on       date,
    decision_deadline  date,
    -- [{field, description, code}] while INCOMPLETE.
    missing_items      jsonb       NOT NULL DEFAULT '[]',
    applicant_person_id bigint     REFERENCES persons (id),
    debtor_person_id   bigint      REFERENCES persons (id),
    creditor_count     integer     NOT NULL CHECK (creditor_count >= 0),
    -- NULL: not assessed (the calculation service could not answer).
    admissible         boolean,
    admissibility      jsonb       NOT NULL,
    debtor_notified_on date,
    debtor_response_deadline date,
    debtor_notification jsonb,
    decided_on         date,
    decision           jsonb,
    mandate            jsonb,
    active_from        date,
    closed_on          date,
    closure            jsonb,
    created_by         text        NOT NULL,
    created_via        text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    changed_by         text        NOT NULL,
    changed_via        text,
    changed_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'COMPLETE' OR status = 'DEBTOR_NOTIFIED') = (decision_deadline IS NOT NULL)
           OR status NOT IN ('INCOMPLETE', 'COMPLETE', 'DEBTOR_NOTIFIED')),
    CHECK (dossier_number IS NOT NULL
           OR status IN ('INCOMPLETE', 'COMPLETE', 'DEBTOR_NOTIFIED', 'REFUSED', 'CLOSED'))
);
CREATE INDEX dossiers_by_deadline ON dossiers (decision_deadline, id)
    WHERE status IN ('COMPLETE', 'DEBTOR_NOTIFIED');
CREATE INDEX dossiers_by_status ON dossiers (status, id);

-- Every revision of the form: 1 on submission, +1 per completion or amendment.
CREATE TABLE application_forms (
    dossier_id     bigint      NOT NULL REFERENCES dossiers (id),
    revision       integer     NOT NULL CHECK (revision >= 1),
    form           jsonb       NOT NULL,
    effective_from date,
    recorded_by    text        NOT NULL,
    recorded_via   text,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dossier_id, revision)
);

-- Persons in dossiers; who added them is kept (the data-exchange service asks).
CREATE TABLE dossier_parties (
    dossier_id     bigint      NOT NULL REFERENCES dossiers (id),
    person_id      bigint      NOT NULL REFERENCES persons (id),
    role           text        NOT NULL CHECK (role IN ('APPLICANT', 'CREDITOR', 'DEBTOR')),
    creditor_key   text        NOT NULL DEFAULT '',
    registered_by  text        NOT NULL,
    registered_via text,
    registered_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dossier_id, role, person_id, creditor_key)
);
CREATE INDEX dossier_parties_by_person ON dossier_parties (person_id, dossier_id);

CREATE TABLE dossier_history (
    dossier_id      bigint      NOT NULL REFERENCES dossiers (id),
    sequence        bigint      NOT NULL CHECK (sequence >= 1),
    kind            smallint    NOT NULL,
    from_status     text,
    to_status       text,
    effective_on    date,
    actor           text        NOT NULL,
    via             text,
    at              timestamptz NOT NULL DEFAULT now(),
    note            text        NOT NULL DEFAULT '',
    form_revision   integer     NOT NULL,
    dossier_version bigint      NOT NULL,
    PRIMARY KEY (dossier_id, sequence)
);

CREATE TABLE dossier_agents (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id    bigint      NOT NULL REFERENCES dossiers (id),
    agent_id      text        NOT NULL,
    task          smallint    NOT NULL CHECK (task BETWEEN 1 AND 3),
    start_date    date        NOT NULL,
    end_date      date        CHECK (end_date IS NULL OR end_date >= start_date),
    assigned_by   text        NOT NULL,
    assigned_via  text,
    assigned_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossier_agents_by_dossier ON dossier_agents (dossier_id, agent_id);
CREATE INDEX dossier_agents_by_agent ON dossier_agents (agent_id) WHERE end_date IS NULL;

-- History is append-only.
CREATE FUNCTION intake_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END $$;
CREATE TRIGGER dossier_history_append_only BEFORE UPDATE OR DELETE ON dossier_history
    FOR EACH ROW EXECUTE FUNCTION intake_refuse_change();
CREATE TRIGGER application_forms_append_only BEFORE UPDATE OR DELETE ON application_forms
    FOR EACH ROW EXECUTE FUNCTION intake_refuse_change();
