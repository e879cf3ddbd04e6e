-- campus_enrollment: the service's own tables (read models, personal details…).
-- The event store's tables come from campus_events' migrations, applied first.
SELECT 1;
