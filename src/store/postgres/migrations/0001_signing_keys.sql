-- Signing keys of the token service. The private key is sealed under the key-encryption key
-- (XChaCha20-Poly1305, the row's kid/kind/alg as associated data); the public half is a JWK.
-- A key signs from activates_at until a newer key of its kind activates, and stays published
-- until every token it signed has expired; both are derived, so no state can disagree.
-- Times are epoch seconds, as in the SQLite schema.
CREATE TABLE signing_keys (
  kid            TEXT PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('access', 'agent')),
  alg            TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
  public_jwk     TEXT NOT NULL,
  sealed_private BYTEA NOT NULL,
  created_at     BIGINT NOT NULL,
  activates_at   BIGINT NOT NULL,
  -- Insertion order, standing in for SQLite's rowid: it breaks same-second ties when listing.
  inserted       BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX signing_keys_kind_activation ON signing_keys (kind, activates_at);

-- Revoked tokens (RFC 7009) and sessions, kept until the token would have expired anyway.
CREATE TABLE revocations (
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('jti', 'session', 'family')),
  subject_id   TEXT NOT NULL,
  expires_at   BIGINT NOT NULL,
  revoked_at   BIGINT NOT NULL,
  PRIMARY KEY (subject_kind, subject_id)
);
CREATE INDEX revocations_expiry ON revocations (expires_at);

-- Service credentials for resource servers calling introspection and agent verification.
-- The secret is stored only as SHA-256 (it is 256 random bits, so a fast hash is enough).
CREATE TABLE service_clients (
  client_id    TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  secret_hash  BYTEA NOT NULL,
  created_at   BIGINT NOT NULL,
  disabled_at  BIGINT
);
