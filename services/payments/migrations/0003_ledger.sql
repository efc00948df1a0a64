-- Double-entry ledger (TigerBeetle-like). Amounts in integer cents.
--
-- Accounts carry running totals that only the transfer trigger below changes; the CHECK
-- constraints on them are the balance invariants (a payout never exceeds what is payable, a
-- debt is never paid beyond what is owed): a transfer that would break one fails with
-- SQLSTATE 23514 naming the constraint, and its whole transaction (linked group) rolls back.
CREATE TABLE ledger_accounts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Public, self-describing id: "<kind>" | "<kind>/<dossier>" | "<kind>/<dossier>/<party>".
    code            text        NOT NULL UNIQUE,
    kind            smallint    NOT NULL CHECK (kind BETWEEN 1 AND 13),
    dossier_number  text,
    party_person_id text,
    -- 1 none, 2 debits (posted + pending) <= credits posted, 3 the reverse.
    balance_rule    smallint    NOT NULL CHECK (balance_rule IN (1, 2, 3)),
    debits_posted   bigint      NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_posted  bigint      NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    debits_pending  bigint      NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    credits_pending bigint      NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    opened_by       text        NOT NULL,
    opened_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_debits_within_credits
        CHECK (balance_rule <> 2 OR debits_posted + debits_pending <= credits_posted),
    CONSTRAINT ledger_credits_within_debits
        CHECK (balance_rule <> 3 OR credits_posted + credits_pending <= debits_posted)
);
CREATE INDEX ledger_accounts_by_dossier ON ledger_accounts (dossier_number) WHERE dossier_number IS NOT NULL;

-- Immutable. state: 1 pending, 2 posted, 3 voided, 4 expired. A post/void/expiry is a new row
-- naming the pending transfer it settles (pending_id); at most one per pending transfer.
CREATE TABLE ledger_transfers (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transfer_id    text        NOT NULL UNIQUE CHECK (length(transfer_id) BETWEEN 1 AND 200),
    debit_account  bigint      NOT NULL REFERENCES ledger_accounts (id),
    credit_account bigint      NOT NULL REFERENCES ledger_accounts (id),
    amount         bigint      NOT NULL CHECK (amount > 0),
    code           smallint    NOT NULL CHECK (code BETWEEN 1 AND 12),
    value_date     date        NOT NULL,
    state          smallint    NOT NULL CHECK (state BETWEEN 1 AND 4),
    pending_id     bigint      REFERENCES ledger_transfers (id),
    linked_group   uuid        NOT NULL,
    expires_at     timestamptz,
    corrects_id    bigint      REFERENCES ledger_transfers (id),
    -- The month a debt, advance or allocation is for (allocation reads it).
    for_month      date        CHECK (for_month IS NULL OR extract(day FROM for_month) = 1),
    reference      text        NOT NULL DEFAULT '',
    description    text        NOT NULL DEFAULT '',
    dossier_number text,
    recorded_by    text        NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_transfer_two_accounts CHECK (debit_account <> credit_account),
    CONSTRAINT ledger_pending_has_timeout CHECK ((state = 1) = (expires_at IS NOT NULL)),
    CONSTRAINT ledger_void_names_pending CHECK (state IN (1, 2) OR pending_id IS NOT NULL),
    CONSTRAINT ledger_pending_not_settling CHECK (state <> 1 OR pending_id IS NULL)
);
CREATE UNIQUE INDEX ledger_one_settlement ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX ledger_transfers_by_debit ON ledger_transfers (debit_account, value_date, id);
CREATE INDEX ledger_transfers_by_credit ON ledger_transfers (credit_account, value_date, id);
CREATE INDEX ledger_transfers_by_dossier ON ledger_transfers (dossier_number, value_date, id);
CREATE INDEX ledger_transfers_open_pending ON ledger_transfers (expires_at) WHERE state = 1;

CREATE TRIGGER ledger_transfers_immutable
    BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Applies a statement's new transfers to the account totals in one UPDATE per statement
-- (batches of thousands of transfers touch a hot account such as the advances funding once).
CREATE FUNCTION ledger_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM new_rows n JOIN ledger_transfers p ON p.id = n.pending_id
        WHERE p.state <> 1 OR p.debit_account <> n.debit_account
           OR p.credit_account <> n.credit_account
           OR (n.state = 2 AND n.amount > p.amount) OR (n.state IN (3, 4) AND n.amount <> p.amount)
    ) THEN
        RAISE EXCEPTION 'a settlement must match its pending transfer (accounts, amount)'
            USING ERRCODE = '23514', CONSTRAINT = 'ledger_settlement_matches_pending';
    END IF;
    WITH legs AS (
        -- new pending: reserve; new posted: post; settlement: release the reservation.
        SELECT n.debit_account AS acct,
               CASE WHEN n.state = 2 THEN n.amount ELSE 0 END AS dpost, 0::bigint AS cpost,
               CASE WHEN n.state = 1 THEN n.amount WHEN n.pending_id IS NOT NULL THEN -p.amount ELSE 0 END AS dpend,
               0::bigint AS cpend
        FROM new_rows n LEFT JOIN ledger_transfers p ON p.id = n.pending_id
        UNION ALL
        SELECT n.credit_account, 0, CASE WHEN n.state = 2 THEN n.amount ELSE 0 END,
               0, CASE WHEN n.state = 1 THEN n.amount WHEN n.pending_id IS NOT NULL THEN -p.amount ELSE 0 END
        FROM new_rows n LEFT JOIN ledger_transfers p ON p.id = n.pending_id
    ), sums AS (
        SELECT acct, sum(dpost) dpost, sum(cpost) cpost, sum(dpend) dpend, sum(cpend) cpend
        FROM legs GROUP BY acct
    )
    UPDATE ledger_accounts a
       SET debits_posted = a.debits_posted + s.dpost, credits_posted = a.credits_posted + s.cpost,
           debits_pending = a.debits_pending + s.dpend, credits_pending = a.credits_pending + s.cpend
      FROM sums s WHERE a.id = s.acct;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_transfers_apply
    AFTER INSERT ON ledger_transfers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply();

-- Voids every pending transfer whose timeout passed, as new "expired" rows.
CREATE FUNCTION ledger_expire_due() RETURNS integer LANGUAGE sql AS $$
    WITH due AS (
        SELECT p.* FROM ledger_transfers p
        WHERE p.state = 1 AND p.expires_at <= now()
          AND NOT EXISTS (SELECT 1 FROM ledger_transfers s WHERE s.pending_id = p.id)
        ORDER BY p.id FOR UPDATE OF p SKIP LOCKED
    ), ins AS (
        INSERT INTO ledger_transfers (transfer_id, debit_account, credit_account, amount, code,
                                      value_date, state, pending_id, linked_group, for_month,
                                      reference, description, dossier_number, recorded_by)
        SELECT transfer_id || '#expired', debit_account, credit_account, amount, code,
               current_date, 4, id, gen_random_uuid(), for_month, reference,
               'timeout passed', dossier_number, 'ledger'
        FROM due
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer FROM ins;
$$;
