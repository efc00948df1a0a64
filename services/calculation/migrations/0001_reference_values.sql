CREATE TABLE idempotency_keys (
    method         text        NOT NULL,
    key            text        NOT NULL,
    request_digest bytea       NOT NULL,
    response       bytea,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (method, key)
);

-- Dated reference figures the rules use. A rule asks for "the value in force on date D";
-- a new figure is a new row, never an update of an old one.
CREATE TABLE reference_values (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('cpi', 'legal_interest_rate', 'advance_cap')),
    value       numeric     NOT NULL,
    valid_from  date        NOT NULL,
    valid_to    date        CHECK (valid_to IS NULL OR valid_to >= valid_from),
    source      text        NOT NULL,
    recorded_by text        NOT NULL DEFAULT 'migration',
    recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, valid_from)
);

-- Legal interest rate in civil matters, percent per calendar year (DOMAIN.md).
INSERT INTO reference_values (kind, value, valid_from, valid_to, source)
SELECT 'legal_interest_rate', rate, make_date(y, 1, 1), make_date(y, 12, 31),
       'Legal interest rate in civil matters (Moniteur belge, yearly notice)'
FROM (VALUES (2003, 7.00), (2004, 7.00), (2005, 7.00), (2006, 7.00), (2007, 6.00),
             (2008, 7.00), (2009, 5.50), (2010, 3.25), (2011, 3.75), (2012, 4.25),
             (2013, 2.75), (2014, 2.75), (2015, 2.50), (2016, 2.25), (2017, 2.00),
             (2018, 2.00), (2019, 2.00), (2020, 1.75), (2021, 1.75), (2022, 1.50),
             (2023, 5.25), (2024, 5.75), (2025, 4.50), (2026, 4.50)) AS r(y, rate);

-- Maximum advance per child per month; SECAL pays advances since October 2005.
INSERT INTO reference_values (kind, value, valid_from, valid_to, source)
VALUES ('advance_cap', 175.00, DATE '2005-10-01', NULL,
        'Maximum monthly advance per child (SPF Finances, SECAL 20 years, 2024)');
