-- Idempotency keys of mutating RPCs (see secal_runtime::idempotency).
CREATE TABLE idempotency_keys (
    method         text        NOT NULL,
    key            text        NOT NULL,
    request_digest bytea       NOT NULL,
    response       bytea,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (method, key)
);

-- The persons registry: creditors and debtors. The national number is the natural key;
-- who registered a person is kept because that agent may never look up the person's
-- incomes (separation of duties, decision of 2012).
CREATE TABLE persons (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id       uuid        NOT NULL UNIQUE,
    national_number char(11)    NOT NULL UNIQUE CHECK (national_number ~ '^[0-9]{11}$'),
    family_name     text        NOT NULL CHECK (length(family_name) BETWEEN 1 AND 200),
    given_names     text        NOT NULL CHECK (length(given_names) BETWEEN 1 AND 200),
    birth_date      date,
    registered_by   text        NOT NULL,
    registered_via  text,
    registered_at   timestamptz NOT NULL DEFAULT now()
);
