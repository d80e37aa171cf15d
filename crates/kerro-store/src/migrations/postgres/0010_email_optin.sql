-- kerro schema 0010 (PostgreSQL): double opt-in of e-mail addresses.
--
-- `email_enc` / `email_bidx` hold the address in use: confirmed by its owner,
-- or taken from the company's own records (staff, import). An address that
-- waits for its confirmation is held beside it in `email_pending_*`, sealed
-- under the subject's key and blind-indexed the same way, and nothing but its
-- confirmation link is ever sent to it. Sources: `form:<key>`, a staff
-- actor (`staff:<role>:<id>`), `import`, `subject` (the subject's own
-- change), `legacy` (held before this version, trusted as it was).
ALTER TABLE subjects ADD COLUMN email_source TEXT COLLATE "C";
ALTER TABLE subjects ADD COLUMN email_verified_at TEXT COLLATE "C";
ALTER TABLE subjects ADD COLUMN email_pending_enc BYTEA;
ALTER TABLE subjects ADD COLUMN email_pending_bidx TEXT COLLATE "C";
ALTER TABLE subjects ADD COLUMN email_pending_source TEXT COLLATE "C";
ALTER TABLE subjects ADD COLUMN email_pending_since TEXT COLLATE "C";
CREATE INDEX subjects_email_pending ON subjects(email_pending_bidx);
UPDATE subjects SET email_source = 'legacy' WHERE email_enc IS NOT NULL;

-- Confirmation links, stored only as the SHA-256 of their secret; single use
-- (deleted when followed), replaced by a newer one, erased with the subject.
-- `email_bidx` is the pending address a link confirms; `form` and
-- `notice_version` the notice it was given under, if a form.
CREATE TABLE email_confirmations (
    hash            TEXT COLLATE "C" PRIMARY KEY,
    subject_id      TEXT COLLATE "C" NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    email_bidx      TEXT COLLATE "C" NOT NULL,
    form            TEXT COLLATE "C",
    notice_version  BIGINT,
    expires_at      TEXT COLLATE "C" NOT NULL,
    created_at      TEXT COLLATE "C" NOT NULL
);
CREATE INDEX email_confirmations_subject ON email_confirmations(subject_id);
CREATE INDEX email_confirmations_address ON email_confirmations(email_bidx, created_at);

-- A ledger event's evidence beyond its notice (an e-mail confirmation's link
-- hash); hashed into the chain when present.
ALTER TABLE consent_events ADD COLUMN evidence TEXT COLLATE "C";
