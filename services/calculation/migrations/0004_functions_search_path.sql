-- The reference-data triggers name their tables unqualified. They now run with the search
-- path this migration runs under (the service's schema) whatever the caller's: a session with
-- another search path (an operator's psql loading figures, a tool) neither breaks them nor
-- points them at tables of the same name in another schema.
ALTER FUNCTION reference_values_track_live() SET search_path FROM CURRENT;
ALTER FUNCTION reference_data_bump_version() SET search_path FROM CURRENT;
