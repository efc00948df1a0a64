-- Dossier events received from the intake outbox, each stored once by its event id: a
-- redelivery finds the row and is answered as the first delivery was.
CREATE TABLE dossier_events (
    event_id        uuid        PRIMARY KEY,
    dossier_number  text        NOT NULL,
    dossier_version bigint      NOT NULL,
    event_type      smallint    NOT NULL,
    intake_sequence bigint      NOT NULL,
    -- secal.v1.DossierEvent as received (protobuf).
    payload         bytea       NOT NULL,
    -- secal.v1.ReceiveDossierEventResponse of the first delivery (protobuf).
    response        bytea       NOT NULL,
    received_by     text        NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossier_events_by_dossier ON dossier_events (dossier_number, dossier_version);

-- The latest applied state of each dossier: an event whose version is not newer is stale.
CREATE TABLE dossier_states (
    dossier_number  text        PRIMARY KEY,
    dossier_version bigint      NOT NULL,
    status          smallint    NOT NULL,
    -- secal.v1.DossierSnapshot of the last applied event (protobuf).
    snapshot        bytea       NOT NULL,
    last_event_id   uuid        NOT NULL REFERENCES dossier_events (event_id),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
