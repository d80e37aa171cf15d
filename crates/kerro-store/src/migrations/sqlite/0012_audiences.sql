-- kerro schema version 12 (SQLite): saved audiences (issue 14).
--
-- A saved audience names a purpose, a channel and a condition, so that a
-- campaign (and the console) can reuse it. Its size is written down once a
-- day, and again whenever it is changed, for the chart of its size over time.
CREATE TABLE audiences (
    key           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    channel       TEXT NOT NULL,
    condition     TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE audience_sizes (
    audience      TEXT NOT NULL REFERENCES audiences(key) ON DELETE CASCADE,
    day           TEXT NOT NULL,
    size          INTEGER NOT NULL,
    PRIMARY KEY (audience, day)
);

-- The saved audience a campaign was planned from (its purpose and condition
-- are copied onto the campaign when it is created).
ALTER TABLE campaigns ADD COLUMN audience TEXT;
