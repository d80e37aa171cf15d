-- kerro schema version 14 (PostgreSQL): purposes' own notices and material notice changes (issue 13, P4, P7).
--
-- notice_versions now also holds each purpose's own notice, keyed
-- 'purpose:<key>' beside the forms' keys, so the key no longer references
-- forms. `material` marks a version whose change was material: consents
-- given under an earlier version are due for renewal.
ALTER TABLE notice_versions DROP CONSTRAINT IF EXISTS notice_versions_form_fkey;
ALTER TABLE notice_versions ADD COLUMN material BIGINT NOT NULL DEFAULT 0;
