-- kerro schema version 14 (SQLite): purposes' own notices and material notice changes (issue 13, P4, P7).
--
-- notice_versions now also holds each purpose's own notice (the one the
-- preference centre and PUT /v1/me/consents/{purpose} show), keyed
-- 'purpose:<key>' beside the forms' keys, so the key no longer references
-- forms. `material` marks a version whose change was material: consents
-- given under an earlier version are due for renewal.
CREATE TABLE notice_versions_new (
    form        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    bundle      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    material    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (form, version)
);
INSERT INTO notice_versions_new (form, version, sha256, bundle, created_at)
    SELECT form, version, sha256, bundle, created_at FROM notice_versions;
DROP TABLE notice_versions;
ALTER TABLE notice_versions_new RENAME TO notice_versions;
