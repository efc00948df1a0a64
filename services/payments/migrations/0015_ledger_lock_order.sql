-- Concurrent bookings on shared accounts (the advances funding account is on every advance)
-- deadlocked: the balance update below locks each account's row when it reaches it, in the
-- order of its join, which differs from one statement to the next. Two transactions that
-- each hold one of two accounts and wait for the other are broken by Postgres after a second
-- (deadlock_timeout), and one of them fails ABORTED: measured with 16 bookings in flight on
-- one dossier, 22 bookings/s and a p99 of 4 s (tests/benches/rpc_floor.rs). Locking every
-- account of the statement first, in id order, makes every writer queue in the same order.
CREATE OR REPLACE FUNCTION ledger_apply() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
DECLARE
    updated bigint;
    named bigint;
BEGIN
    -- Every account the statement touches, locked in id order before any is updated.
    PERFORM 1 FROM ledger_accounts
     WHERE id IN (SELECT debit_account FROM new_rows UNION SELECT credit_account FROM new_rows)
     ORDER BY id
       FOR NO KEY UPDATE;
    -- Two statements on purpose: one query for both cases (the pending amount looked up per
    -- settlement row) measured 30 % slower on bulk inserts than this plain one.
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
            SELECT acct, sum(dpost) dpost, sum(cpost) cpost, sum(dpend) dpend, sum(cpend) cpend
            FROM legs GROUP BY acct
        )
        UPDATE ledger_accounts a
           SET debits_posted = a.debits_posted + s.dpost, credits_posted = a.credits_posted + s.cpost,
               debits_pending = a.debits_pending + s.dpend, credits_pending = a.credits_pending + s.cpend
          FROM sums s WHERE a.id = s.acct;
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
            SELECT acct, sum(dpost) dpost, sum(cpost) cpost, sum(dpend) dpend, sum(cpend) cpend
            FROM legs GROUP BY acct
        )
        UPDATE ledger_accounts a
           SET debits_posted = a.debits_posted + s.dpost, credits_posted = a.credits_posted + s.cpost,
               debits_pending = a.debits_pending + s.dpend, credits_pending = a.credits_pending + s.cpend
          FROM sums s WHERE a.id = s.acct;
    END IF;
    GET DIAGNOSTICS updated = ROW_COUNT;
    SELECT count(*) INTO named FROM (
        SELECT debit_account FROM new_rows UNION SELECT credit_account FROM new_rows
    ) accounts;
    IF updated <> named THEN
        RAISE EXCEPTION 'a transfer names an account that does not exist'
            USING ERRCODE = '23503', CONSTRAINT = 'ledger_transfer_accounts_exist';
    END IF;
    RETURN NULL;
END $$;
