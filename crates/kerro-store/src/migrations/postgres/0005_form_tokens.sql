-- kerro schema version 5 (PostgreSQL): single-use tokens of anonymous hosted forms.
-- A token is remembered (as its SHA-256) from its first use until it expires,
-- so a posted form cannot be replayed.
CREATE TABLE web_form_tokens (
    hash        TEXT COLLATE "C" PRIMARY KEY,
    expires_at  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX web_form_tokens_expiry ON web_form_tokens(expires_at);
