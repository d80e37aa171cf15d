-- kerro schema version 9 (SQLite): messages versus impressions, campaigns and
-- one-click unsubscribes (issue 14).
--
-- The decision log tells apart what a decision showed on the company's pages
-- (`shown`: an impression), what it chose for a message not yet sent
-- (`decided`), and a message sent (`sent`: reported by an outside sender or
-- sent by a campaign). The subject's weekly cap counts `sent` rows only.
ALTER TABLE decisions ADD COLUMN decision_id TEXT;
ALTER TABLE decisions ADD COLUMN kind TEXT NOT NULL DEFAULT 'shown';
ALTER TABLE decisions ADD COLUMN campaign_id TEXT;
-- Before this version every decision counted as delivered; one on a channel
-- other than the web was a message.
UPDATE decisions SET kind = 'sent' WHERE channel <> 'web';
CREATE INDEX decisions_decision ON decisions(decision_id);
-- A decided offer is reported sent at most once.
CREATE UNIQUE INDEX decisions_sent_once ON decisions(decision_id, offer) WHERE kind = 'sent';

-- A ledger event may concern one channel of a purpose (an unsubscribe);
-- such events never change the purpose's consent state.
ALTER TABLE consent_events ADD COLUMN channel TEXT;

-- An e-mail campaign: one offer to an audience, sent at `send_at` or later.
-- The counts are kept on the row, so an erasure later does not rewrite them.
CREATE TABLE campaigns (
    id            TEXT PRIMARY KEY,
    offer         TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    channel       TEXT NOT NULL,
    condition     TEXT NOT NULL,
    send_at       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('scheduled', 'sending', 'sent', 'cancelled')),
    planned       INTEGER NOT NULL DEFAULT 0,
    sent          INTEGER NOT NULL DEFAULT 0,
    skipped       TEXT NOT NULL DEFAULT '{}',
    failed        INTEGER NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT
);
CREATE INDEX campaigns_due ON campaigns(state, send_at);

-- Who a started campaign is for, and what became of each: `planned` until the
-- sender reaches them, then `sent` or `skipped` (with the reason) or `failed`.
CREATE TABLE campaign_recipients (
    campaign_id   TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    subject_id    TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    state         TEXT NOT NULL,
    reason        TEXT,
    at            TEXT,
    PRIMARY KEY (campaign_id, subject_id)
);
CREATE INDEX campaign_recipients_planned ON campaign_recipients(campaign_id, state);
