SET client_min_messages = warning;
-- Tables for the ingestion baseline: one declarations row and one consent row
-- per submission, the rows kerro's ingest example writes, without kerro's
-- encryption, hash chains and audit log.
CREATE TABLE IF NOT EXISTS bench_declarations (
  id bigserial PRIMARY KEY,
  subject_id text NOT NULL,
  form text NOT NULL,
  notice_version int NOT NULL,
  answers jsonb NOT NULL,
  given_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS bench_declarations_subject ON bench_declarations (subject_id);
CREATE TABLE IF NOT EXISTS bench_consents (
  id bigserial PRIMARY KEY,
  record_id text NOT NULL UNIQUE,
  subject_id text NOT NULL,
  purpose text NOT NULL,
  state text NOT NULL,
  form text NOT NULL,
  notice_version int NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS bench_consents_subject ON bench_consents (subject_id, purpose);
TRUNCATE bench_declarations, bench_consents;
