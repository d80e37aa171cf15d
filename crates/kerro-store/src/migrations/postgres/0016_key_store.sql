-- kerro schema version 16 (PostgreSQL): the per-subject data keys move to a
-- key store apart from the main tables (P13): the schema `kerro_keys`, backed
-- up on its own schedule (`pg_dump --schema=kerro_keys`) and left out of the
-- database's backups (`pg_dump --exclude-schema=kerro_keys`). Erasure deletes
-- the key here, and a start on a restored backup removes the subject.
CREATE SCHEMA IF NOT EXISTS kerro_keys;
CREATE TABLE kerro_keys.subject_keys (
    subject_id   TEXT COLLATE "C" PRIMARY KEY,
    wrapped_key  BYTEA NOT NULL,
    created_at   TEXT COLLATE "C" NOT NULL
);
INSERT INTO kerro_keys.subject_keys (subject_id, wrapped_key, created_at)
    SELECT id, wrapped_key, created_at FROM subjects;
ALTER TABLE subjects DROP COLUMN wrapped_key;
