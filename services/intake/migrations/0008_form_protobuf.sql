-- A form revision is stored as the contract's own binary encoding (protobuf bytes of
-- secal.v1.ApplicationForm) instead of its proto3 JSON: on every submission PostgreSQL parsed
-- ~15 KB of JSON into jsonb and the service wrote it, and every dossier read turned it back
-- into text and parsed it again (perf: the JSON was the largest single cost left in a
-- submission). The bytes are ~4 KB, decoded without loss by any protobuf library from the
-- contract (`buf convert` shows them as JSON); the protobuf rules on field numbers keep old
-- revisions readable as the contract grows.
-- Revisions stored before this migration keep their JSON (the table is append-only) and read
-- as before: exactly one of the two columns holds each revision.
ALTER TABLE application_forms ADD COLUMN form_protobuf bytea;
ALTER TABLE application_forms ALTER COLUMN form DROP NOT NULL;
ALTER TABLE application_forms
    ADD CONSTRAINT application_forms_one_encoding CHECK (num_nonnulls(form, form_protobuf) = 1);

DO $$
BEGIN
    ALTER TABLE application_forms ALTER COLUMN form_protobuf SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available: forms stay compressed with pglz';
END $$;
