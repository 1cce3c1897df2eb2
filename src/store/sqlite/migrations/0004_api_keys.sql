-- API keys of services (issue 22): stored as the SHA-256 of the key, looked up by it. Two new
-- permissions for administrators: managing API keys and managing webhooks.
CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  key_hash     BLOB NOT NULL UNIQUE,
  scopes       TEXT NOT NULL,           -- space-separated
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  last_used_at INTEGER,
  revoked_at   INTEGER
);
CREATE INDEX api_keys_created ON api_keys (created_at);

INSERT INTO permissions (id, name, description) VALUES
  (8, 'api_keys:manage', 'Create, list and revoke API keys'),
  (9, 'webhooks:manage', 'Register, change and remove webhook endpoints');
INSERT INTO role_permissions (role_id, permission_id) VALUES (3, 8), (3, 9);
