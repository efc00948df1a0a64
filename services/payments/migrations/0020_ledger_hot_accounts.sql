-- Hot accounts. Every advance debits the one advances-funding account, every fee credits the
-- one fee-income account, every bank line debits the bank account: the balance trigger
-- locked such an account's row for the whole transaction of each booking, and every booking
-- of the suite queued behind the one before it (secal-load: LedgerBooking p50 36 ms at 16 in
-- flight while the machine had CPU to spare).
--
-- An account without a balance rule (balance_rule 1: paid-out, advances funding, bank,
-- suspense, fee income, tax-offset clearing) has no invariant to check, so its totals need
-- not be one row: a statement adds its movement to one of 16 slots of the account, chosen by
-- the transaction's id — concurrent transactions have consecutive ids, so they take
-- different slots and do not wait for one another. The account's totals are its row (what
-- it held before this migration) plus its slots: ledger_account_totals. A slot's pending
-- figures may go below zero (a reservation made in one slot and released in another); their
-- sum cannot. Accounts with a balance rule keep their totals in their row, locked in id order
-- as before (0015), and the CHECK constraints on it still guard every booking.
CREATE TABLE ledger_account_slots (
    account_id      bigint   NOT NULL REFERENCES ledger_accounts (id),
    slot            smallint NOT NULL CHECK (slot BETWEEN 0 AND 15),
    debits_posted   bigint   NOT NULL DEFAULT 0,
    credits_posted  bigint   NOT NULL DEFAULT 0,
    debits_pending  bigint   NOT NULL DEFAULT 0,
    credits_pending bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, slot)
) WITH (fillfactor = 50);

-- Every account with its totals, whichever way they are kept: what a reader of totals reads.
CREATE VIEW ledger_account_totals AS
SELECT a.id, a.code, a.kind, a.dossier_number, a.party_person_id, a.balance_rule,
       a.debits_posted + COALESCE(s.debits_posted, 0) AS debits_posted,
       a.credits_posted + COALESCE(s.credits_posted, 0) AS credits_posted,
       a.debits_pending + COALESCE(s.debits_pending, 0) AS debits_pending,
       a.credits_pending + COALESCE(s.credits_pending, 0) AS credits_pending,
       a.opened_by, a.opened_at
  FROM ledger_accounts a
  LEFT JOIN (SELECT account_id, sum(debits_posted)::bigint AS debits_posted,
                    sum(credits_posted)::bigint AS credits_posted,
                    sum(debits_pending)::bigint AS debits_pending,
                    sum(credits_pending)::bigint AS credits_pending
               FROM ledger_account_slots GROUP BY account_id) s ON s.account_id = a.id;

CREATE OR REPLACE FUNCTION ledger_apply() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
DECLARE
    accts bigint[];
    dposts bigint[];
    cposts bigint[];
    dpends bigint[];
    cpends bigint[];
    updated bigint;
    named bigint;
BEGIN
    -- Every ruled account the statement touches, locked in id order before any is updated
    -- (0015); the accounts without a rule are not locked.
    PERFORM 1 FROM ledger_accounts
     WHERE id IN (SELECT debit_account FROM new_rows UNION SELECT credit_account FROM new_rows)
       AND balance_rule <> 1
     ORDER BY id
       FOR NO KEY UPDATE;
    -- The movement of each account, in id order. Two queries on purpose (0009): the pending
    -- amount is looked up only when the statement settles a pending transfer.
    IF NOT EXISTS (SELECT 1 FROM new_rows WHERE pending_id IS NOT NULL) THEN
        WITH legs AS (
            SELECT debit_account AS acct,
                   CASE WHEN state = 2 THEN amount ELSE 0 END AS dpost, 0::bigint AS cpost,
                   CASE WHEN state = 1 THEN amount ELSE 0 END AS dpend, 0::bigint AS cpend
            FROM new_rows
            UNION ALL
            SELECT credit_account, 0, CASE WHEN state = 2 THEN amount ELSE 0 END,
                   0, CASE WHEN state = 1 THEN amount ELSE 0 END
            FROM new_rows
        ), sums AS (
            SELECT acct, sum(dpost)::bigint dpost, sum(cpost)::bigint cpost,
                   sum(dpend)::bigint dpend, sum(cpend)::bigint cpend
            FROM legs GROUP BY acct
        )
        SELECT array_agg(acct ORDER BY acct), array_agg(dpost ORDER BY acct),
               array_agg(cpost ORDER BY acct), array_agg(dpend ORDER BY acct),
               array_agg(cpend ORDER BY acct)
          INTO accts, dposts, cposts, dpends, cpends FROM sums;
    ELSE
        IF EXISTS (
            SELECT 1 FROM new_rows n JOIN ledger_transfers p ON p.id = n.pending_id
            WHERE p.state <> 1 OR p.debit_account <> n.debit_account
               OR p.credit_account <> n.credit_account
               OR (n.state = 2 AND n.amount > p.amount) OR (n.state IN (3, 4) AND n.amount <> p.amount)
        ) THEN
            RAISE EXCEPTION 'a settlement must match its pending transfer (accounts, amount)'
                USING ERRCODE = '23514', CONSTRAINT = 'ledger_settlement_matches_pending';
        END IF;
        -- new pending: reserve; new posted: post; settlement: release the reservation.
        WITH legs AS (
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
            SELECT acct, sum(dpost)::bigint dpost, sum(cpost)::bigint cpost,
                   sum(dpend)::bigint dpend, sum(cpend)::bigint cpend
            FROM legs GROUP BY acct
        )
        SELECT array_agg(acct ORDER BY acct), array_agg(dpost ORDER BY acct),
               array_agg(cpost ORDER BY acct), array_agg(dpend ORDER BY acct),
               array_agg(cpend ORDER BY acct)
          INTO accts, dposts, cposts, dpends, cpends FROM sums;
    END IF;
    -- Ruled accounts: their row (the CHECK constraints judge it). The others: the slot of
    -- this transaction, in account order.
    WITH s AS (
        SELECT * FROM unnest(accts, dposts, cposts, dpends, cpends)
                   AS s(acct, dpost, cpost, dpend, cpend)
    ), ruled AS (
        UPDATE ledger_accounts a
           SET debits_posted = a.debits_posted + s.dpost, credits_posted = a.credits_posted + s.cpost,
               debits_pending = a.debits_pending + s.dpend, credits_pending = a.credits_pending + s.cpend
          FROM s WHERE a.id = s.acct AND a.balance_rule <> 1
        RETURNING a.id
    ), free AS (
        INSERT INTO ledger_account_slots AS t
               (account_id, slot, debits_posted, credits_posted, debits_pending, credits_pending)
        SELECT s.acct, (pg_current_xact_id()::text::bigint % 16)::smallint,
               s.dpost, s.cpost, s.dpend, s.cpend
          FROM s JOIN ledger_accounts a ON a.id = s.acct AND a.balance_rule = 1
         ORDER BY s.acct
        ON CONFLICT (account_id, slot) DO UPDATE
           SET debits_posted = t.debits_posted + EXCLUDED.debits_posted,
               credits_posted = t.credits_posted + EXCLUDED.credits_posted,
               debits_pending = t.debits_pending + EXCLUDED.debits_pending,
               credits_pending = t.credits_pending + EXCLUDED.credits_pending
        RETURNING t.account_id
    )
    SELECT (SELECT count(*) FROM ruled) + (SELECT count(*) FROM free) INTO updated;
    named := coalesce(cardinality(accts), 0);
    IF updated <> named THEN
        RAISE EXCEPTION 'a transfer names an account that does not exist'
            USING ERRCODE = '23503', CONSTRAINT = 'ledger_transfer_accounts_exist';
    END IF;
    RETURN NULL;
END $$;
