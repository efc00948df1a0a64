-- The case-work feed (secal.v1.CaseworkFeedService): each condition of the payments process
-- that needs an agent (a statement line left unmatched, a payout returned, a payout account
-- awaiting a second agent, a missed plan instalment, a suspension to review) and each action
-- that resolves one, written in the transaction of the condition or of the action and read
-- by the intake process after its cursor, in sequence order.
CREATE TABLE casework_events (
    sequence       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- secal.v1.CaseworkEventKind: 1 task opened, 2 task closed, 3 letter requested.
    kind           smallint    NOT NULL CHECK (kind IN (1, 2, 3)),
    -- secal.v1.TaskKind: only the payments process's conditions (6 to 10); none for a letter.
    task_kind      smallint    CHECK (task_kind BETWEEN 6 AND 10),
    -- e.g. 'statement-line:<uuid>': one open task per task kind and subject.
    subject        text        NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    dossier_number text        NOT NULL DEFAULT '',
    due_on         date,
    listed_from    date,
    summary        text        NOT NULL DEFAULT '',
    -- The RPC that resolved the condition (closed events).
    action         text        NOT NULL DEFAULT '',
    actor          text        NOT NULL,
    via            text,
    at             timestamptz NOT NULL DEFAULT now(),
    -- A requested letter: secal.v1.LetterRequest, protobuf bytes.
    letter         bytea,
    CONSTRAINT casework_letter_or_task CHECK (
        (kind = 3) = (letter IS NOT NULL) AND (kind = 3) = (task_kind IS NULL)),
    CONSTRAINT casework_opened_says_what_and_when CHECK (kind <> 1 OR (
        due_on IS NOT NULL AND listed_from IS NOT NULL AND listed_from <= due_on
        AND summary <> '' AND action = '')),
    CONSTRAINT casework_closed_names_its_action CHECK (kind <> 2 OR (
        action <> '' AND due_on IS NULL AND listed_from IS NULL AND summary = ''))
);
-- Whether a condition's task is open: the last event of its kind and subject.
CREATE INDEX casework_events_by_subject ON casework_events (task_kind, subject, sequence);

-- The returned payouts of a dossier, whose tasks a newly confirmed payout account closes.
CREATE INDEX payouts_returned_by_dossier ON payouts (dossier_number, seq) WHERE state = 3;

-- Append-only: intake's cursor is a sequence number, so an event once read must never
-- change or go away (it would never be read again).
CREATE TRIGGER casework_events_immutable
    BEFORE UPDATE OR DELETE OR TRUNCATE ON casework_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- How far the intake process has applied the feed (AcknowledgeCaseworkEvents): a step that
-- waits for its letter (a tax-refund offset for its pre-offset notice) reads it.
CREATE TABLE casework_acknowledgements (
    reader          text        PRIMARY KEY,
    applied_through bigint      NOT NULL CHECK (applied_through >= 0),
    changed_at      timestamptz NOT NULL DEFAULT now()
);
INSERT INTO casework_acknowledgements (reader, applied_through) VALUES ('intake', 0);

-- The feed events of each part's notices: confirmation waits until intake has applied the
-- pre-offset notice's (a part proposed before the notices existed has none and does not wait).
ALTER TABLE tax_refund_offset_parts ADD COLUMN pre_notice_sequence bigint;
ALTER TABLE tax_refund_offset_parts ADD COLUMN post_notice_sequence bigint;
