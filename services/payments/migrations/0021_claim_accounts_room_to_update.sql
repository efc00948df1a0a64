-- The dues run rewrites the row of every account it books (booked_to, bookings, updated_at),
-- a batch of 200 accounts per transaction. With full pages only 4 % of those updates stayed
-- on their page (claims_dues, 100,000 dossiers: 3,804 of 92,200 in place); the others wrote a
-- new index entry each. As for the ledger's accounts (0014): room on each page for a second
-- copy of its rows. Pages already written keep their fill until the table is rewritten.
ALTER TABLE claim_accounts SET (fillfactor = 50);
