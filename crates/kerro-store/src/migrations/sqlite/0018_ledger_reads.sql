-- kerro schema version 18 (SQLite): a write reads a subject's consent states
-- from the index alone. The (subject, purpose, seq) index also holds the
-- columns that tell a consent proper from an event about a channel, a
-- recipient or an explicit statement, so the latest state per purpose is
-- found without reading one table row per event of the subject's history.
DROP INDEX consent_events_subject;
CREATE INDEX consent_events_subject ON consent_events(subject_id, purpose, seq, channel, recipient, method);

