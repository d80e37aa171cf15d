-- kerro schema version 4 (SQLite): the transactional outbox.
-- Every domain event (consent given or withdrawn, declaration changed, subject
-- erased, ...) is written here in the same transaction as the change itself.
-- It names the pseudonymous subject id and keys, never a personal value.
-- On PostgreSQL other kerro nodes follow it to refresh what they keep in memory;
-- later it feeds webhooks.

CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    subject_id  TEXT,
    payload     TEXT NOT NULL,
    node        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX outbox_subject ON outbox(subject_id);
