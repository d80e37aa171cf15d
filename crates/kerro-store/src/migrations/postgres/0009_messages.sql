-- kerro schema version 9 (PostgreSQL): messages versus impressions, campaigns and
-- one-click unsubscribes (issue 14).
--
-- The decision log tells apart what a decision showed on the company's pages
-- (`shown`: an impression), what it chose for a message not yet sent
-- (`decided`), and a message sent (`sent`: reported by an outside sender or
-- sent by a campaign). The subject's weekly cap counts `sent` rows only.
ALTER TABLE decisions ADD COLUMN decision_id TEXT COLLATE "C";
ALTER TABLE decisions ADD COLUMN kind TEXT COLLATE "C" NOT NULL DEFAULT 'shown';
ALTER TABLE decisions ADD COLUMN campaign_id TEXT COLLATE "C";
-- Before this version every decision counted as delivered; one on a channel
-- other than the web was a message.
UPDATE decisions SET kind = 'sent' WHERE channel <> 'web';
CREATE INDEX decisions_decision ON decisions(decision_id);
-- A decided offer is reported sent at most once.
CREATE UNIQUE INDEX decisions_sent_once ON decisions(decision_id, offer) WHERE kind = 'sent';

-- A ledger event may concern one channel of a purpose (an unsubscribe);
-- such events never change the purpose's consent state.
ALTER TABLE consent_events ADD COLUMN channel TEXT COLLATE "C";

-- An e-mail campaign: one offer to an audience, sent at `send_at` or later.
-- The counts are kept on the row, so an erasure later does not rewrite them.
CREATE TABLE campaigns (
    id            TEXT COLLATE "C" PRIMARY KEY,
    offer         TEXT COLLATE "C" NOT NULL,
    purpose       TEXT COLLATE "C" NOT NULL,
    channel       TEXT COLLATE "C" NOT NULL,
    condition     TEXT COLLATE "C" NOT NULL,
    send_at       TEXT COLLATE "C" NOT NULL,
    state         TEXT COLLATE "C" NOT NULL CHECK (state IN ('scheduled', 'sending', 'sent', 'cancelled')),
    planned       BIGINT NOT NULL DEFAULT 0,
    sent          BIGINT NOT NULL DEFAULT 0,
    skipped       TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    failed        BIGINT NOT NULL DEFAULT 0,
    created_by    TEXT COLLATE "C" NOT NULL,
    created_at    TEXT COLLATE "C" NOT NULL,
    started_at    TEXT COLLATE "C",
    finished_at   TEXT COLLATE "C"
);
CREATE INDEX campaigns_due ON campaigns(state, send_at);

-- Who a started campaign is for, and what became of each: `planned` until the
-- sender reaches them, then `sent` or `skipped` (with the reason) or `failed`.
CREATE TABLE campaign_recipients (
    campaign_id   TEXT COLLATE "C" NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    subject_id    TEXT COLLATE "C" NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
    state         TEXT COLLATE "C" NOT NULL,
    reason        TEXT COLLATE "C",
    at            TEXT COLLATE "C",
    PRIMARY KEY (campaign_id, subject_id)
);
CREATE INDEX campaign_recipients_planned ON campaign_recipients(campaign_id, state);
