"""Issue 3, publication and independent verification: /.well-known/jwks.json and
/.well-known/openid-configuration, and tokens the server issues verifying in PyJWT +
cryptography given nothing but the JWKS URL (RS256, ES256 and EdDSA)."""
import time

import jwt
import pytest

from support import assert_security_headers, free_port, http
from token_support import (ACCESS_AUD, ACCESS_TYP, AGENT_AUD, AGENT_TYP, DISCOVERY, ISSUER, JWKS,
                           PRIVATE_JWK_MEMBERS, assert_active, b64u_decode, introspect, parts,
                           start_token_server, verify_independently)

RSA_MEMBERS = {"kty", "use", "alg", "kid", "n", "e"}
EC_MEMBERS = {"kty", "use", "alg", "kid", "crv", "x", "y"}
OKP_MEMBERS = {"kty", "use", "alg", "kid", "crv", "x"}


@pytest.fixture(scope="module")
def ts(module_start_server, archon_bin):
    port = free_port()
    return start_token_server(module_start_server, archon_bin,
                              config={"tokens": {"public_url": f"http://127.0.0.1:{port}"}},
                              args=["--listen", f"127.0.0.1:{port}"])


def check_jwk(jwk: dict) -> None:
    assert not (set(jwk) & PRIVATE_JWK_MEMBERS), f"private members published: {jwk}"
    assert jwk.get("use") == "sig", jwk
    assert isinstance(jwk.get("kid"), str) and jwk["kid"], jwk
    if jwk["kty"] == "RSA":
        assert set(jwk) == RSA_MEMBERS, jwk
        assert jwk["alg"] == "RS256", jwk
        assert len(b64u_decode(jwk["n"])) * 8 >= 2048, "RSA modulus under 2048 bits"
    elif jwk["kty"] == "EC":
        assert set(jwk) == EC_MEMBERS, jwk
        assert (jwk["alg"], jwk["crv"]) == ("ES256", "P-256"), jwk
        assert len(b64u_decode(jwk["x"])) == 32 and len(b64u_decode(jwk["y"])) == 32, jwk
    elif jwk["kty"] == "OKP":
        assert set(jwk) == OKP_MEMBERS, jwk
        assert (jwk["alg"], jwk["crv"]) == ("EdDSA", "Ed25519"), jwk
        assert len(b64u_decode(jwk["x"])) == 32, jwk
    else:
        raise AssertionError(f"unexpected kty: {jwk}")


def test_jwks_document(ts):
    r = http(ts.server, "GET", JWKS)
    assert r.status_code == 200, r.text[:300]
    assert r.headers.get("Content-Type") == "application/jwk-set+json", r.headers.get("Content-Type")
    assert r.headers.get("Cache-Control") == "public, max-age=300", r.headers.get("Cache-Control")
    assert_security_headers(r, json_response=False)
    body = r.json()
    assert set(body) == {"keys"}, f"JWKS is not a plain key set (no envelope): {sorted(body)}"
    keys = body["keys"]
    for jwk in keys:
        check_jwk(jwk)
    assert len({k["kid"] for k in keys}) == len(keys), "duplicate kids"
    stored = {k.kid: k for k in ts.stored_keys()}
    assert {k["kid"] for k in keys} == set(stored), "JWKS kids != stored keys"
    by_alg = sorted((stored[k["kid"]].kind, k["alg"]) for k in keys)
    assert by_alg == [("access", "RS256"), ("agent", "ES256")], by_alg
    for k in keys:  # the published key is the public half of the stored key
        assert k == stored[k["kid"]].public_jwk, (k, stored[k["kid"]].public_jwk)
    h = http(ts.server, "HEAD", JWKS)
    assert h.status_code == 200 and h.content == b"", (h.status_code, h.content[:100])
    assert h.headers.get("Content-Type") == "application/jwk-set+json"


def test_discovery_document(ts):
    r = http(ts.server, "GET", DISCOVERY)
    assert r.status_code == 200, r.text[:300]
    assert r.headers.get("Content-Type", "").split(";")[0] == "application/json"
    assert r.headers.get("Cache-Control") == "public, max-age=300", r.headers.get("Cache-Control")
    doc = r.json()
    assert "success" not in doc, "discovery is plain JSON, not the envelope"
    assert doc["issuer"] == ISSUER
    base = ts.base_url
    assert doc["jwks_uri"] == base + JWKS, doc["jwks_uri"]
    assert doc["introspection_endpoint"] == base + "/api/v2/auth/introspect"
    assert doc["revocation_endpoint"] == base + "/api/v2/auth/revoke"
    assert doc["access_token_signing_alg_values_supported"] == ["RS256"], doc
    assert doc["agent_token_signing_alg_values_supported"] == ["ES256"], doc
    algs = [v for k, v in doc.items() if k.endswith("_signing_alg_values_supported")]
    for values in algs:
        assert not any(a.lower() == "none" or a.upper().startswith("HS") for a in values), doc


def _check_issued(ts, jwks_url, token, kind, subject, roles, ttl):
    hdr, claims = verify_independently(jwks_url, token, ACCESS_AUD if kind == "access" else AGENT_AUD)
    expected_alg = {"access": ts.config["tokens"].get("access", {}).get("algorithm", "RS256"),
                    "agent": ts.config["tokens"].get("agent", {}).get("algorithm", "ES256")}[kind]
    signing = ts.signing_key(kind)
    assert hdr == {"alg": expected_alg, "kid": signing.kid,
                   "typ": ACCESS_TYP if kind == "access" else AGENT_TYP}, hdr
    jwks_alg = {k["kid"]: k["alg"] for k in ts.jwks()["keys"]}
    assert jwks_alg[hdr["kid"]] == hdr["alg"], "token alg differs from its JWK's alg"
    # access tokens carry roles (an empty list when minted without --role); agent tokens none
    expected_keys = {"iss", "aud", "sub", "iat", "exp", "jti", "type"} | ({"roles"} if kind == "access" else set())
    assert set(claims) == expected_keys, f"claims {sorted(claims)} != {sorted(expected_keys)}"
    assert claims["iss"] == ISSUER
    assert claims["aud"] == (ACCESS_AUD if kind == "access" else AGENT_AUD)
    assert claims["sub"] == subject
    assert claims["type"] == kind
    if kind == "access":
        assert claims["roles"] == list(roles), claims
    assert abs(claims["iat"] - time.time()) < 30, claims
    assert claims["exp"] - claims["iat"] == ttl, claims
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16, claims
    return claims


def test_issued_tokens_verify_independently(ts):
    jwks_url = http(ts.server, "GET", DISCOVERY).json()["jwks_uri"]  # nothing but this URL
    a1 = ts.issue("access", "alice", roles=("admin",), ttl=120)
    a2 = ts.issue("access", "bob")
    g1 = ts.issue("agent", "agent-7", ttl=300)
    c1 = _check_issued(ts, jwks_url, a1, "access", "alice", ("admin",), 120)
    c2 = _check_issued(ts, jwks_url, a2, "access", "bob", (), 3600)
    c3 = _check_issued(ts, jwks_url, g1, "agent", "agent-7", (), 300)
    assert len({c1["jti"], c2["jti"], c3["jti"]}) == 3, "jti repeated"
    # and the server itself accepts them
    for tok in (a1, a2, g1):
        assert_active(introspect(ts, tok, basic=ts.client), tok)


def test_ttl_is_capped_by_lifetime(ts):
    tok = ts.issue("access", "carol", ttl=86400)
    _, claims, _ = parts(tok)
    assert claims["exp"] - claims["iat"] == 3600, claims


def test_tampered_token_fails_independent_verification(ts):
    """The independent check itself can fail (so its passing above means something)."""
    tok = ts.issue("access", "alice", roles=("admin",))
    h, p, s = tok.split(".")
    tampered = h + "." + p[:-2] + ("AA" if p[-2:] != "AA" else "BB") + "." + s
    with pytest.raises(jwt.exceptions.PyJWTError):
        verify_independently(ts.base_url + JWKS, tampered, ACCESS_AUD)


@pytest.mark.parametrize("access_alg,agent_alg", [("EdDSA", "ES256"), ("ES256", "EdDSA"),
                                                  ("RS256", "RS256")])
def test_other_algorithms_verify_independently(start_server, archon_bin, access_alg, agent_alg):
    ts = start_token_server(start_server, archon_bin, config={"tokens": {
        "access": {"algorithm": access_alg}, "agent": {"algorithm": agent_alg}}})
    keys = ts.jwks()["keys"]
    for jwk in keys:
        check_jwk(jwk)
    assert sorted(k["alg"] for k in keys) == sorted([access_alg, agent_alg]), keys
    doc = http(ts.server, "GET", DISCOVERY).json()
    assert doc["access_token_signing_alg_values_supported"] == [access_alg], doc
    assert doc["agent_token_signing_alg_values_supported"] == [agent_alg], doc
    jwks_url = ts.base_url + JWKS
    access = ts.issue("access", "alice", roles=("admin",))
    agent = ts.issue("agent", "agent-1")
    _check_issued(ts, jwks_url, access, "access", "alice", ("admin",), 3600)
    _check_issued(ts, jwks_url, agent, "agent", "agent-1", (), 3600)
    # the server accepts its own token as the admin caller, and introspects the agent token
    assert_active(introspect(ts, agent, bearer=access), agent)
    assert_active(introspect(ts, access, basic=ts.client), access)
