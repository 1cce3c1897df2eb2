-- Agents: which agent types each role may run (with a capability ceiling), and every agent
-- token minted, with its lineage, for listing and for revoking a token with its descendants.
CREATE TABLE role_agent_grants (
  role_id      INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  agent_type   TEXT NOT NULL,                -- a catalog type, '*' (every type) or '@common'
  capabilities TEXT NOT NULL DEFAULT '["*"]', -- JSON array: the ceiling; "*" = all the type allows
  PRIMARY KEY (role_id, agent_type)
);
-- The defaults of the agents issue: user runs nothing, agent_operator the common development
-- types, admin every type (approval-required capabilities are still denied to everyone).
INSERT INTO role_agent_grants (role_id, agent_type) VALUES (2, '@common'), (3, '*');

CREATE TABLE agent_tokens (
  agent_id        TEXT PRIMARY KEY,
  jti             TEXT NOT NULL,
  user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  session_id      TEXT NOT NULL,
  parent_agent_id TEXT REFERENCES agent_tokens(agent_id) ON DELETE CASCADE,
  root_agent_id   TEXT NOT NULL,
  depth           INTEGER NOT NULL,
  agent_type      TEXT NOT NULL,
  capabilities    TEXT NOT NULL,
  restrictions    TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  expires_at      BIGINT NOT NULL,
  revoked_at      BIGINT
);
CREATE INDEX agent_tokens_user ON agent_tokens (user_id, expires_at);
CREATE INDEX agent_tokens_root ON agent_tokens (root_agent_id);
-- SQLite finds children through the primary key scan; PostgreSQL needs this for the lineage
-- walk and for ON DELETE CASCADE of the self-reference.
CREATE INDEX agent_tokens_parent ON agent_tokens (parent_agent_id);
