-- kerro schema version 16 (SQLite): the per-subject data keys move to a key
-- store apart from the main database (P13): the file `<db>.keys` beside it,
-- attached to every connection as `kerro_keys`. A backup of the main file
-- alone then cannot be read for a subject erased after it was taken: erasure
-- deletes the key here, and a start on a restored backup removes the subject.
CREATE TABLE IF NOT EXISTS kerro_keys.subject_keys (
    subject_id   TEXT PRIMARY KEY,
    wrapped_key  BLOB NOT NULL,
    created_at   TEXT NOT NULL
);
INSERT INTO kerro_keys.subject_keys (subject_id, wrapped_key, created_at)
    SELECT id, wrapped_key, created_at FROM subjects;
ALTER TABLE subjects DROP COLUMN wrapped_key;
