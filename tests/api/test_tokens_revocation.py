"""Issue 3, RFC 7009 revocation (POST /api/v2/auth/revoke): possession of a token suffices,
any token answers 200 with data null, a revoked token is refused at once and after a restart,
and a credential that is sent must be valid."""
import base64
import signal

import pytest

from support import assert_error, assert_success
from token_support import (REVOKE, access_claims, assert_active, assert_inactive,
                           assert_unauthorized, encode_part, forge, form_body, header, introspect,
                           parts, raw_post, revoke, start_token_server)


@pytest.fixture(scope="module")
def ts(module_start_server, archon_bin):
    return start_token_server(module_start_server, archon_bin)


def assert_revoke_ok(resp) -> None:
    body = assert_success(resp)
    assert body["data"] is None, f"revoke must answer data null, got {body['data']!r}"


def test_revoke_access_token_without_credential(ts):
    admin = ts.admin_token("caller")
    victim = ts.admin_token("victim")
    # used first, so a verified-signature cache holds it
    assert_active(introspect(ts, admin, bearer=victim), admin)
    assert_active(introspect(ts, victim, basic=ts.client), victim)
    assert_revoke_ok(revoke(ts, victim))
    assert_unauthorized(introspect(ts, admin, bearer=victim))
    assert_inactive(introspect(ts, victim, basic=ts.client))
    assert_inactive(introspect(ts, victim, bearer=admin))
    # the caller's own token is untouched, and revoking again is still 200
    assert_active(introspect(ts, admin, bearer=admin), admin)
    assert_revoke_ok(revoke(ts, victim))


@pytest.mark.parametrize("how", ["form", "json", "basic", "bearer", "hint-mismatch"])
def test_revoke_forms_and_credentials(ts, how):
    victim = ts.issue("agent", f"agent-{how}") if how in ("json", "hint-mismatch") else ts.admin_token(how)
    assert_active(introspect(ts, victim, basic=ts.client), victim)
    if how == "form":
        r = revoke(ts, victim, hint="access_token")
    elif how == "json":
        r = revoke(ts, victim, as_json=True, hint="agent_token")
    elif how == "basic":
        r = revoke(ts, victim, basic=ts.client)
    elif how == "bearer":
        r = revoke(ts, victim, bearer=ts.admin_token("revoker"))
    else:  # a wrong hint is only a hint (RFC 7009 2.1)
        r = revoke(ts, victim, hint="access_token")
    assert_revoke_ok(r)
    assert_inactive(introspect(ts, victim, basic=ts.client))


@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "e30.e30.", "x" * 8000,
                                     "eyJhbGciOiJub25lIn0.e30."])
def test_revoke_garbage_is_200(ts, garbage):
    assert_revoke_ok(revoke(ts, garbage))
    assert_revoke_ok(revoke(ts, garbage, as_json=True))


def test_revoke_unknown_and_expired_tokens_is_200(ts):
    key = ts.signing_key("access")
    expired = forge(header(key.kid, "RS256"), access_claims(exp=1, iat=0), key.private, "RS256")
    assert_revoke_ok(revoke(ts, expired))
    assert_revoke_ok(revoke(ts, forge(header("unknown-kid", "RS256"), access_claims(), key.private, "RS256")))


def test_revoke_oversized_token(ts):
    """RFC 7009 2.2: an invalid token is no error; a 20 KB token (within the 64 KiB body limit)
    is 200 like any other, in either encoding."""
    big = "A" * 20000 + ".e30.e30"
    assert_revoke_ok(revoke(ts, big))
    assert_revoke_ok(revoke(ts, big, as_json=True))


def test_forged_token_does_not_revoke_the_genuine_one(ts):
    """Revoking an invalid token is a no-op: a forged copy of a genuine token (same claims and
    jti, broken signature) must not revoke the genuine token."""
    genuine = ts.admin_token("do-not-revoke-me")
    h, p, s = genuine.split(".")
    forged = f"{h}.{p}.{s[:-8]}{'A' * 8 if s[-8:] != 'A' * 8 else 'B' * 8}"
    key = ts.signing_key("agent")  # and one signed by the wrong (agent) key with the same claims
    _, claims, _ = parts(genuine)
    wrong_key = forge(header(ts.signing_key("access").kid, "ES256"), claims, key.private, "ES256")
    none_alg = f"{encode_part({'alg': 'none', 'typ': 'at+jwt'})}.{p}."
    for tok in (forged, wrong_key, none_alg):
        assert_revoke_ok(revoke(ts, tok))
    assert_active(introspect(ts, genuine, basic=ts.client), genuine)
    assert_active(introspect(ts, genuine, bearer=genuine), genuine)


def test_bad_credential_on_revoke_is_401_and_revokes_nothing(ts):
    victim = ts.admin_token("stays-valid")
    cid, _ = ts.client
    basic_bad = base64.b64encode(f"{cid}:wrong-secret".encode()).decode()
    agent = ts.issue("agent", "agent-x")
    for kw in ({"basic": (cid, "wrong-secret")}, {"basic": ("svc_unknown", "secret")},
               {"bearer": "not-a-token"}, {"bearer": agent}):
        r = revoke(ts, victim, **kw)
        assert_unauthorized(r)
    r = raw_post(ts, REVOKE, form_body(token=victim),
                 {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic " + basic_bad})
    assert_unauthorized(r)
    assert_active(introspect(ts, victim, basic=ts.client), victim)


def test_revoke_request_validation(ts):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert_error(revoke(ts, None, data="", headers=form), 400, "VALIDATION_REQUIRED_FIELD")
    assert_error(revoke(ts, None, as_json=True), 400, "VALIDATION_REQUIRED_FIELD")
    assert_error(revoke(ts, "abc", extra={"foo": "1"}), 400, "VALIDATION_UNKNOWN_FIELD")
    assert_error(revoke(ts, None, data="token=a&token=b",
                        headers={"Content-Type": "application/x-www-form-urlencoded"}),
                 400, "VALIDATION_INVALID_FORMAT")
    assert_error(revoke(ts, None, data="token=abc", headers={"Content-Type": "text/plain"}),
                 415, "VALIDATION_UNSUPPORTED_MEDIA_TYPE")


def test_revocation_survives_restart(start_server, archon_bin):
    ts = start_token_server(start_server, archon_bin)
    revoked_access = ts.admin_token("revoked")
    revoked_agent = ts.issue("agent", "revoked-agent")
    kept = ts.admin_token("kept")
    kept_agent = ts.issue("agent", "kept-agent")
    client = ts.client
    assert_revoke_ok(revoke(ts, revoked_access))
    assert_revoke_ok(revoke(ts, revoked_agent, as_json=True))
    assert_unauthorized(introspect(ts, kept, bearer=revoked_access))

    assert ts.server.stop(signal.SIGTERM) == 0
    ts2 = start_token_server(start_server, archon_bin, config=ts.config, kek=ts.kek,
                             data_dir=ts.data_dir)
    assert ts2.data_dir == ts.data_dir
    assert_unauthorized(introspect(ts2, kept, bearer=revoked_access))
    assert_inactive(introspect(ts2, revoked_access, basic=client))
    assert_inactive(introspect(ts2, revoked_agent, basic=client))
    # the rest survived too: keys (same kids), service client, the unrevoked tokens
    assert ts2.published_kids() == {parts(kept)[0]["kid"], parts(kept_agent)[0]["kid"]}
    assert_active(introspect(ts2, kept, bearer=kept), kept)
    assert_active(introspect(ts2, kept_agent, basic=client), kept_agent)


def test_non_admin_bearer_on_revoke_is_accepted_as_a_credential(ts):
    """A valid ordinary access token is a valid credential on /revoke: possession of the token in
    the body is the authority (RFC 7009 public clients), so the holder can revoke its own token
    while sending its usual Authorization header."""
    user = ts.issue("access", "plain-user")
    other = ts.admin_token("other")
    assert_revoke_ok(revoke(ts, other, bearer=user))
    assert_inactive(introspect(ts, other, basic=ts.client))
    assert_revoke_ok(revoke(ts, user, bearer=user))
    assert_inactive(introspect(ts, user, basic=ts.client))
