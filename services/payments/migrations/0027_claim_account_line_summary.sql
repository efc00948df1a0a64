-- The dues run's fast path read every booked line of each account it considered — the last
-- month per creditor, whether a line carries interest, whether an open part is time-barred by
-- the run date: eleven lines a dossier in the bench (claims_dues), sixty after five years,
-- and more every month. The table's two writers (a full booking, which replaces it; the fast
-- path, which appends months; services/payments/src/claims/summary.rs) now keep that on the
-- account's row, so a month's run reads one row per dossier whatever its history.
ALTER TABLE claim_accounts
    -- Per creditor (parallel arrays, creditors in order) the last month of the table.
    ADD COLUMN line_creditors    text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN line_last_months  date[]  NOT NULL DEFAULT '{}',
    -- A line carries interest or its start.
    ADD COLUMN lines_interest    boolean NOT NULL DEFAULT false,
    -- The earliest prescription limit of an open, unpaid part (none: NULL).
    ADD COLUMN next_prescription date,
    ADD CONSTRAINT claim_accounts_line_heads
        CHECK (cardinality(line_creditors) = cardinality(line_last_months));

UPDATE claim_accounts a
   SET line_creditors = s.creditors, line_last_months = s.last_months,
       lines_interest = s.interest, next_prescription = s.next_limit
  FROM (SELECT dossier_number, array_agg(creditor ORDER BY creditor) AS creditors,
               array_agg(last_month ORDER BY creditor) AS last_months,
               bool_or(interest) AS interest, min(next_limit) AS next_limit
          FROM (SELECT dossier_number, creditor, max(month) AS last_month,
                       bool_or(interest_cents <> 0 OR interest_from IS NOT NULL) AS interest,
                       min(prescription_limit) FILTER (WHERE status = 1 AND unpaid_cents > 0) AS next_limit
                  FROM claim_lines GROUP BY 1, 2) c
         GROUP BY 1) s
 WHERE a.dossier_number = s.dossier_number;
