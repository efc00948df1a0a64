-- 1. At most one suspension in force per debtor. GrantSuspension checks first, under a lock
--    of the debtor, and says which one is in force; this index is the last line.
CREATE UNIQUE INDEX suspensions_one_in_force ON suspensions (debtor_person_id)
    WHERE lifted_on IS NULL;

-- 2. A debtor's dossiers are looked up by person (the dossiers a suspension covers, the
--    national numbers whose certified debt a suspension changes): without an index each
--    look-up read every dossier.
CREATE INDEX dossier_states_by_debtor_person ON dossier_states (debtor_person_id);

-- 3. The ledger's functions name their tables unqualified. They now run with the search path
--    this migration runs under (the service's schema) whatever the caller's: a session with
--    another search path (an operator's psql, a tool) neither breaks them nor points them at
--    tables of the same name in another schema.
ALTER FUNCTION ledger_apply() SET search_path FROM CURRENT;
ALTER FUNCTION ledger_expire_due() SET search_path FROM CURRENT;
