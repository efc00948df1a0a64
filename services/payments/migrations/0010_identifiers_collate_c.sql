-- Identifiers (account codes, transfer ids, dossier numbers, creditor ids) are compared byte
-- by byte. Under a database's linguistic collation (e.g. C.UTF-8 or fr_BE.UTF-8 from initdb)
-- every comparison in their indexes goes through strcoll; the monthly advances run compares
-- them millions of times (unique transfer ids, account look-ups by code, the run's items),
-- and measured 10-20 % faster with "C". Their order is unchanged: they are ASCII.
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
