-- kerro schema version 8 (PostgreSQL): signed webhooks (issue 14, item 5) and the
-- cursors of the event stream. An endpoint's secret is sealed with a key
-- derived from the master key. A delivery is one outbox event for one
-- endpoint; its id is the `webhook-id` every attempt sends. Payloads hold ids,
-- keys and times only, never a personal value.

CREATE TABLE webhook_endpoints (
    id              TEXT COLLATE "C" PRIMARY KEY,
    url             TEXT COLLATE "C" NOT NULL,
    -- JSON array of the event types it receives.
    events          TEXT COLLATE "C" NOT NULL,
    description     TEXT COLLATE "C" NOT NULL DEFAULT '',
    secret_sealed   TEXT COLLATE "C" NOT NULL,
    -- Events up to this outbox number happened before the endpoint existed.
    from_seq        BIGINT NOT NULL,
    created_by      TEXT COLLATE "C" NOT NULL,
    created_at      TEXT COLLATE "C" NOT NULL,
    last_success_at TEXT COLLATE "C",
    disabled_at     TEXT COLLATE "C",
    disabled_reason TEXT COLLATE "C"
);

CREATE TABLE webhook_deliveries (
    id              TEXT COLLATE "C" PRIMARY KEY,
    endpoint_id     TEXT COLLATE "C" NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    event_type      TEXT COLLATE "C" NOT NULL,
    -- The pseudonymous subject, so a subject's deliveries go out in order.
    subject_id      TEXT COLLATE "C",
    payload         TEXT COLLATE "C" NOT NULL,
    state           TEXT COLLATE "C" NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT COLLATE "C" NOT NULL,
    last_status     BIGINT,
    last_error      TEXT COLLATE "C",
    created_at      TEXT COLLATE "C" NOT NULL,
    updated_at      TEXT COLLATE "C" NOT NULL,
    UNIQUE (endpoint_id, seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
CREATE INDEX webhook_deliveries_subject ON webhook_deliveries(endpoint_id, subject_id, seq);

-- How far each reader of the outbox got: `webhooks` (fanned out to endpoints,
-- in a write transaction, so once across nodes) and `nats` (published).
CREATE TABLE stream_cursors (
    name    TEXT COLLATE "C" PRIMARY KEY,
    seq     BIGINT NOT NULL
);
