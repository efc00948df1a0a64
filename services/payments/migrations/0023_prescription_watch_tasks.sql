-- The prescription watch becomes a task of the one work queue (secal.v1.TaskKind 12): a
-- dossier whose open claim lines become time-barred within 90 days.
ALTER TABLE casework_events DROP CONSTRAINT casework_events_task_kind_check;
ALTER TABLE casework_events ADD CONSTRAINT casework_events_task_kind_check
    CHECK (task_kind BETWEEN 6 AND 12);
