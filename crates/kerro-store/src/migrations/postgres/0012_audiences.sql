-- kerro schema version 12 (PostgreSQL): saved audiences (issue 14).
--
-- A saved audience names a purpose, a channel and a condition, so that a
-- campaign (and the console) can reuse it. Its size is written down once a
-- day, and again whenever it is changed, for the chart of its size over time.
CREATE TABLE audiences (
    key           TEXT COLLATE "C" PRIMARY KEY,
    name          TEXT COLLATE "C" NOT NULL,
    purpose       TEXT COLLATE "C" NOT NULL,
    channel       TEXT COLLATE "C" NOT NULL,
    condition     TEXT COLLATE "C" NOT NULL,
    created_by    TEXT COLLATE "C" NOT NULL,
    created_at    TEXT COLLATE "C" NOT NULL,
    updated_by    TEXT COLLATE "C" NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL
);

CREATE TABLE audience_sizes (
    audience      TEXT COLLATE "C" NOT NULL REFERENCES audiences(key) ON DELETE CASCADE,
    day           TEXT COLLATE "C" NOT NULL,
    size          BIGINT NOT NULL,
    PRIMARY KEY (audience, day)
);

-- The saved audience a campaign was planned from (its purpose and condition
-- are copied onto the campaign when it is created).
ALTER TABLE campaigns ADD COLUMN audience TEXT COLLATE "C";
