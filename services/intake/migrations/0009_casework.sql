-- Case work: the letters the procedure requires, and the agents' one work queue.

-- Every letter issued, immutable: the PDF as sent, its SHA-256, the template version and the
-- data it was rendered from (so that rendering it again gives the same bytes), the recipient
-- and the address used that day, the channel.
CREATE TABLE letters (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id        uuid        NOT NULL UNIQUE,
    dossier_id       bigint      NOT NULL REFERENCES dossiers (id),
    kind             text        NOT NULL CHECK (kind IN (
                         'DEBTOR_NOTICE', 'DECISION_ACCEPTED', 'DECISION_REFUSED',
                         'MANDATE_PROPOSAL')),
    language         text        NOT NULL CHECK (language IN ('fr', 'nl', 'de')),
    issued_on        date        NOT NULL,
    recipient_person_id bigint   REFERENCES persons (id),
    recipient_role   text        NOT NULL CHECK (recipient_role IN ('APPLICANT', 'CREDITOR', 'DEBTOR')),
    recipient_name   text        NOT NULL,
    recipient_address text[]     NOT NULL,
    address_source   text        NOT NULL,
    channel          text        NOT NULL CHECK (channel IN ('REGISTERED_POST', 'POST', 'EBOX', 'EMAIL')),
    tracking_number  text,
    template_version text        NOT NULL,
    -- The secal-letters input (JSON) the PDF was rendered from.
    rendered_from    jsonb       NOT NULL,
    pdf              bytea       NOT NULL,
    sha256           bytea       NOT NULL CHECK (length(sha256) = 32),
    issued_by_step   text        NOT NULL,
    issued_by        text        NOT NULL,
    issued_via       text,
    issued_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((channel = 'REGISTERED_POST') = (tracking_number IS NOT NULL))
);
CREATE INDEX letters_by_dossier ON letters (dossier_id, id);
CREATE INDEX letters_by_person ON letters (recipient_person_id, id);
CREATE TRIGGER letters_append_only BEFORE UPDATE OR DELETE ON letters
    FOR EACH ROW EXECUTE FUNCTION intake_refuse_change();

-- What the post's tracking said of a registered letter: once per letter, never changed.
CREATE TABLE letter_deliveries (
    letter_id    bigint      PRIMARY KEY REFERENCES letters (id),
    outcome      text        NOT NULL CHECK (outcome IN ('DELIVERED', 'PRESENTED', 'RETURNED')),
    on_date      date        NOT NULL,
    recorded_by  text        NOT NULL,
    recorded_via text,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER letter_deliveries_append_only BEFORE UPDATE OR DELETE ON letter_deliveries
    FOR EACH ROW EXECUTE FUNCTION intake_refuse_change();

-- The work queue. A task is opened by a condition, at most one open task per condition
-- (kind + what it is about), and closed by the action that resolves it.
CREATE TABLE tasks (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id        uuid        NOT NULL UNIQUE,
    kind             text        NOT NULL CHECK (kind IN (
                         'DECISION_DEADLINE', 'ADMISSIBILITY_NOT_ASSESSED',
                         'DEBTOR_NOTICE_TRACKING', 'DEBTOR_NOTICE_RETURNED',
                         'DEBTOR_WINDOW_ENDED')),
    -- What the condition is about, e.g. 'dossier:42' or 'letter:17'.
    subject          text        NOT NULL,
    dossier_id       bigint      REFERENCES dossiers (id),
    letter_id        bigint      REFERENCES letters (id),
    team             text        NOT NULL CHECK (length(team) BETWEEN 1 AND 64),
    owner_agent_id   text,
    listed_from      date        NOT NULL,
    due_on           date        NOT NULL,
    summary          text        NOT NULL,
    opened_by        text        NOT NULL,
    opened_via       text,
    opened_at        timestamptz NOT NULL DEFAULT now(),
    closed_by        text,
    closed_via       text,
    closed_at        timestamptz,
    closed_by_action text,
    CHECK ((closed_at IS NULL) = (closed_by_action IS NULL)),
    CHECK ((closed_at IS NULL) = (closed_by IS NULL))
);
CREATE UNIQUE INDEX tasks_one_open_per_condition ON tasks (kind, subject) WHERE closed_at IS NULL;
CREATE INDEX tasks_open_by_due ON tasks (due_on, id) WHERE closed_at IS NULL;
CREATE INDEX tasks_by_dossier ON tasks (dossier_id, id);
CREATE INDEX tasks_open_by_owner ON tasks (owner_agent_id, due_on) WHERE closed_at IS NULL;

-- Each task's history: opened, claimed, reassigned, closed.
CREATE TABLE task_events (
    task_id        bigint      NOT NULL REFERENCES tasks (id),
    sequence       integer     NOT NULL CHECK (sequence >= 1),
    kind           text        NOT NULL CHECK (kind IN ('OPENED', 'CLAIMED', 'REASSIGNED', 'CLOSED')),
    owner_agent_id text,
    team           text        NOT NULL,
    note           text        NOT NULL DEFAULT '',
    actor          text        NOT NULL,
    via            text,
    at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, sequence)
);
CREATE TRIGGER task_events_append_only BEFORE UPDATE OR DELETE ON task_events
    FOR EACH ROW EXECUTE FUNCTION intake_refuse_change();
