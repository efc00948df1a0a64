-- Dated changes of a person (form frame 9: every new element is reported). Appended, never
-- edited: a wrong change is corrected by a later one; current values are derived.
CREATE TABLE person_changes (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id      uuid        NOT NULL UNIQUE,
    person_id      bigint      NOT NULL REFERENCES persons (id),
    kind           smallint    NOT NULL CHECK (kind BETWEEN 1 AND 4),
    effective_from date        NOT NULL,
    -- secal.v1.PersonChange as canonical proto3 JSON (value, address kind, source, note).
    change         jsonb       NOT NULL,
    recorded_by    text        NOT NULL,
    recorded_via   text,
    recorded_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX person_changes_by_person ON person_changes (person_id, kind, effective_from, id);
CREATE TRIGGER person_changes_append_only BEFORE UPDATE OR DELETE ON person_changes
    FOR EACH ROW EXECUTE FUNCTION intake_refuse_change();
