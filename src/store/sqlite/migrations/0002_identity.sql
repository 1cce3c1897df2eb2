-- Identity and sessions: the spec's users, roles, permissions, role_permissions and user_roles,
-- plus sessions, refresh tokens (hashed; family = session), single-use email tokens (hashed),
-- the mail outbox, login-failure counters and the hash-chained audit trail.
CREATE TABLE users (
  id                TEXT PRIMARY KEY,
  email             TEXT NOT NULL,
  email_normalized  TEXT NOT NULL UNIQUE,
  name              TEXT NOT NULL,
  password_hash     TEXT NOT NULL,
  email_verified    INTEGER NOT NULL DEFAULT 0,
  is_active         INTEGER NOT NULL DEFAULT 1,
  marketing_consent INTEGER NOT NULL DEFAULT 0,
  terms_accepted_at INTEGER NOT NULL,
  preferences       TEXT NOT NULL DEFAULT '{}',
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  last_login        INTEGER
);

CREATE TABLE roles (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL
);
CREATE TABLE permissions (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL
);
CREATE TABLE role_permissions (
  role_id       INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  permission_id INTEGER NOT NULL REFERENCES permissions(id) ON DELETE CASCADE,
  PRIMARY KEY (role_id, permission_id)
);
CREATE TABLE user_roles (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, role_id)
);

INSERT INTO roles (id, name, description) VALUES
  (1, 'user', 'A person using the platform'),
  (2, 'agent_operator', 'Runs the common development agents'),
  (3, 'admin', 'Manages users, roles and the audit trail');
INSERT INTO permissions (id, name, description) VALUES
  (1, 'read:profile', 'Read and update one''s own profile'),
  (2, 'create:tasks', 'Create tasks for agents'),
  (3, 'users:read', 'List and read any user'),
  (4, 'users:write', 'Change, deactivate and revoke any user'),
  (5, 'audit:read', 'Read the audit trail'),
  (6, 'agents:run', 'Run agents'),
  (7, 'roles:write', 'Change role grants');
INSERT INTO role_permissions (role_id, permission_id) VALUES
  (1, 1), (1, 2),
  (2, 1), (2, 2), (2, 6),
  (3, 1), (3, 2), (3, 3), (3, 4), (3, 5), (3, 6), (3, 7);

CREATE TABLE sessions (
  id                  TEXT PRIMARY KEY,
  user_id             TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at          INTEGER NOT NULL,
  last_seen_at        INTEGER NOT NULL,
  idle_expires_at     INTEGER NOT NULL,
  absolute_expires_at INTEGER NOT NULL,
  remember_me         INTEGER NOT NULL,
  client_address      TEXT NOT NULL,
  user_agent          TEXT NOT NULL,
  device_info         TEXT NOT NULL DEFAULT '{}',
  revoked_at          INTEGER,
  revoke_reason       TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, revoked_at);

-- One row per refresh token ever issued. The family is the session: a reused ancestor
-- revokes the session. child_sealed keeps the successor (KEK-sealed) for the grace window,
-- so a client retrying a lost response gets the same child instead of forking the family.
CREATE TABLE refresh_tokens (
  token_hash   BLOB PRIMARY KEY,
  session_id   TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  parent_hash  BLOB,
  child_hash   BLOB,
  child_sealed BLOB,
  created_at   INTEGER NOT NULL,
  rotated_at   INTEGER,
  expires_at   INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE email_tokens (
  token_hash BLOB PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);

CREATE TABLE mail_outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient       TEXT NOT NULL,
  subject         TEXT NOT NULL,
  body            TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  sent_at         INTEGER,
  last_error      TEXT
);
CREATE INDEX mail_outbox_pending ON mail_outbox (sent_at, next_attempt_at);

-- Failed-login counters, kept per normalized email whether or not an account exists.
CREATE TABLE login_failures (
  email_normalized TEXT NOT NULL,
  client_address   TEXT NOT NULL,
  consecutive      INTEGER NOT NULL,
  locked_until     INTEGER NOT NULL DEFAULT 0,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (email_normalized, client_address)
);
CREATE TABLE login_account_failures (
  email_normalized TEXT PRIMARY KEY,
  window_start     INTEGER NOT NULL,
  failures         INTEGER NOT NULL,
  locked_until     INTEGER NOT NULL DEFAULT 0
);

-- Append-only audit trail; each row's hash covers its content and the previous row's hash.
CREATE TABLE audit_events (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  at             INTEGER NOT NULL,
  event          TEXT NOT NULL,
  outcome        TEXT NOT NULL,
  actor          TEXT NOT NULL,
  user_id        TEXT,
  request_id     TEXT NOT NULL,
  client_address TEXT NOT NULL,
  user_agent     TEXT NOT NULL,
  details        TEXT NOT NULL DEFAULT '{}',
  prev_hash      BLOB NOT NULL,
  hash           BLOB NOT NULL
);
CREATE INDEX audit_events_user ON audit_events (user_id, seq);
CREATE INDEX audit_events_event ON audit_events (event, seq);
