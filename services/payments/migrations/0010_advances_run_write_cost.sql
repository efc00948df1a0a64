-- What writing the monthly advances run's transfers still cost, measured on 100,000 children.
--
-- 1. Transfers by dossier are found through the dossier's accounts (a transfer's dossier is
--    its debit account's, else its credit account's), which the account indexes already
--    serve. An index on the dossier number took each month's advances at random places among
--    the earlier months' entries of the same dossiers.
DROP INDEX ledger_transfers_by_dossier;

-- 2. Identifiers (account codes, transfer ids, dossier numbers, creditor ids) are compared
--    byte by byte. Under a database's linguistic collation (e.g. C.UTF-8 or fr_BE.UTF-8 from
--    initdb) every comparison in their indexes goes through strcoll; the run compares them
--    millions of times (unique transfer ids, account look-ups by code, the run's items).
--    Their order is unchanged: they are ASCII.
ALTER TABLE ledger_accounts
    ALTER COLUMN code TYPE text COLLATE "C",
    ALTER COLUMN dossier_number TYPE text COLLATE "C",
    ALTER COLUMN party_person_id TYPE text COLLATE "C";
ALTER TABLE ledger_transfers
    ALTER COLUMN transfer_id TYPE text COLLATE "C",
    ALTER COLUMN dossier_number TYPE text COLLATE "C";
ALTER TABLE advances_run_items
    ALTER COLUMN dossier_number TYPE text COLLATE "C",
    ALTER COLUMN child TYPE text COLLATE "C";
ALTER TABLE dossier_states
    ALTER COLUMN dossier_number TYPE text COLLATE "C";
