-- The W3C traceparent of the change that wrote the event, so that its delivery to payments
-- continues the same trace (NULL for events written before this column existed).
ALTER TABLE dossier_events ADD COLUMN traceparent text;
