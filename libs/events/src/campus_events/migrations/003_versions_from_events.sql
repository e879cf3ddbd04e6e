-- A stream's version is now its last event's (max(version) over the unique (stream, version)
-- index), and that unique index is the optimistic concurrency check: the version rows of
-- event_streams cost a write per append and told nothing the events do not (docs/architecture.md).
DROP TABLE IF EXISTS event_streams;
