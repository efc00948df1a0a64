-- Transactional outbox: events written in the transaction of the dossier change, relayed to
-- the payments service at least once, in order per dossier.
CREATE TABLE dossier_events (
    sequence        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    dossier_id      bigint      NOT NULL REFERENCES dossiers (id),
    dossier_number  text        NOT NULL,
    event_type      smallint    NOT NULL CHECK (event_type BETWEEN 1 AND 3),
    -- secal.v1.DossierEvent, protobuf-encoded, without its sequence (the column is).
    payload         bytea       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    delivered_at    timestamptz
);
CREATE INDEX dossier_events_pending ON dossier_events (dossier_id, sequence)
    WHERE delivered_at IS NULL;
CREATE INDEX dossier_events_by_dossier ON dossier_events (dossier_number, sequence);
