-- Webhooks (issue 22): endpoints administrators register, and the transactional outbox of
-- deliveries. A delivery row is written in the same transaction as the change it announces,
-- one per subscribed endpoint, with the whole signed body; attempts are its log.
CREATE TABLE webhook_endpoints (
  id                         TEXT PRIMARY KEY,
  url                        TEXT NOT NULL,
  description                TEXT NOT NULL,
  event_types                TEXT NOT NULL,     -- ' a.b c.d ' (padded with spaces) or ' * '
  enabled                    INTEGER NOT NULL,
  secret_sealed              BLOB NOT NULL,       -- sealed with the KEK: signing needs the secret itself
  previous_secret_sealed     BLOB,
  previous_secret_expires_at INTEGER,
  created_at                 INTEGER NOT NULL,
  updated_at                 INTEGER NOT NULL,
  disabled_reason            TEXT,
  last_success_at            INTEGER
);

CREATE TABLE webhook_deliveries (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id        TEXT NOT NULL,                 -- the webhook-id header, the same on every attempt
  event_type      TEXT NOT NULL,
  payload         TEXT NOT NULL,
  endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  status          TEXT NOT NULL,                 -- pending | succeeded | failed
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until     INTEGER,                            -- an instance is delivering it until then
  created_at      INTEGER NOT NULL,
  completed_at    INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

CREATE TABLE webhook_attempts (
  delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  status_code INTEGER NOT NULL,                  -- 0: no HTTP answer
  latency_ms  INTEGER NOT NULL,
  error       TEXT NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);
