-- Every replica keeps the reference table in memory. Instead of reading the version on every
-- calculation (a database round trip that was most of the cost of a small one), replicas
-- LISTEN on 'secal_reference_data': the bump of the version now also notifies, and the
-- notification is delivered when the change commits (src/reference/watch.rs).
CREATE OR REPLACE FUNCTION reference_data_bump_version() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
AS $$
DECLARE
    bumped bigint;
BEGIN
    UPDATE reference_data_version SET version = version + 1 RETURNING version INTO bumped;
    PERFORM pg_notify('secal_reference_data', bumped::text);
    RETURN NULL;
END $$;
