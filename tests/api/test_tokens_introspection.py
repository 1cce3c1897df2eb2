"""Issue 3, RFC 7662 introspection (POST /api/v2/auth/introspect): who may call it, what
bodies it takes, and what it answers."""
import base64
import json

import pytest

from support import assert_error, assert_security_headers
from token_support import (INTROSPECT, assert_active, assert_inactive, assert_unauthorized,
                           form_body, introspect, raw_post, start_token_server)


@pytest.fixture(scope="module")
def ts(module_start_server, archon_bin):
    return start_token_server(module_start_server, archon_bin)


@pytest.fixture(scope="module")
def tokens(ts):
    return {"admin": ts.admin_token("admin-1"), "user": ts.issue("access", "user-1"),
            "agent": ts.issue("agent", "agent-1"),
            "multi": ts.issue("access", "multi", roles=("viewer", "admin"))}


def test_no_credential_is_401(ts, tokens):
    r = introspect(ts, tokens["user"])
    assert_unauthorized(r)
    www = r.headers["WWW-Authenticate"]
    assert "basic" in www.lower() and "bearer" in www.lower(), www


def test_non_admin_access_token_is_403(ts, tokens):
    assert_error(introspect(ts, tokens["user"], bearer=tokens["user"]), 403,
                 "AUTH_INSUFFICIENT_PERMISSIONS")


def test_admin_among_other_roles_is_enough(ts, tokens):
    assert_active(introspect(ts, tokens["user"], bearer=tokens["multi"]), tokens["user"])


@pytest.mark.parametrize("cred", ["bad-secret", "unknown-client", "empty-secret", "no-colon",
                                  "not-base64", "empty", "agent-bearer", "garbage-bearer",
                                  "empty-bearer", "unknown-scheme"])
def test_bad_credentials_are_401(ts, tokens, cred):
    cid, secret = ts.client
    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    auth = {"bad-secret": "Basic " + b64(f"{cid}:{secret[:-1]}x"),
            "unknown-client": "Basic " + b64(f"svc_nobody:{secret}"),
            "empty-secret": "Basic " + b64(f"{cid}:"),
            "no-colon": "Basic " + b64(f"{cid}{secret}"),
            "not-base64": "Basic !!!not-base64!!!",
            "empty": "Basic ",
            "agent-bearer": "Bearer " + tokens["agent"],
            "garbage-bearer": "Bearer abc.def.ghi",
            "empty-bearer": "Bearer ",
            "unknown-scheme": "Token " + tokens["admin"]}[cred]
    r = raw_post(ts, INTROSPECT, form_body(token=tokens["user"]),
                 {"Content-Type": "application/x-www-form-urlencoded", "Authorization": auth})
    assert_unauthorized(r)


def test_basic_and_admin_bearer_are_accepted(ts, tokens):
    for kw in ({"basic": ts.client}, {"bearer": tokens["admin"]}):
        r = introspect(ts, tokens["user"], **kw)
        assert_active(r, tokens["user"], "access_token")
        assert_security_headers(r)  # Cache-Control: no-store (RFC 7662 answers hold claims)


def test_bearer_scheme_is_case_insensitive(ts, tokens):
    """RFC 7235 2.1: the auth-scheme is case-insensitive."""
    r = raw_post(ts, INTROSPECT, form_body(token=tokens["user"]),
                 {"Content-Type": "application/x-www-form-urlencoded",
                  "Authorization": "bearer " + tokens["admin"]})
    assert_active(r, tokens["user"])


@pytest.mark.parametrize("kind", ["admin", "user", "agent"])
@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
def test_valid_tokens_introspect_to_their_claims(ts, tokens, kind, as_json):
    tok = tokens[kind]
    r = introspect(ts, tok, basic=ts.client, as_json=as_json)
    assert_active(r, tok, "agent_token" if kind == "agent" else "access_token")


@pytest.mark.parametrize("hint", ["access_token", "refresh_token", "agent_token"])
def test_hint_is_only_a_hint(ts, tokens, hint):
    assert_active(introspect(ts, tokens["agent"], basic=ts.client, hint=hint), tokens["agent"])
    assert_active(introspect(ts, tokens["user"], basic=ts.client, hint=hint, as_json=True), tokens["user"])


@pytest.mark.parametrize("hint", ["access", "id_token", "ACCESS_TOKEN"])
def test_unknown_hint_is_400(ts, tokens, hint):
    """openapi.yaml: a token_type_hint other than access_token/refresh_token/agent_token is 400
    VALIDATION_INVALID_FORMAT (an empty one counts as absent)."""
    body = assert_error(introspect(ts, tokens["user"], basic=ts.client, hint=hint), 400,
                        "VALIDATION_INVALID_FORMAT")
    assert "token_type_hint" in body["error"]["details"], body["error"]["details"]
    assert_active(introspect(ts, tokens["user"], basic=ts.client, hint=""), tokens["user"])


@pytest.mark.parametrize("tok", ["garbage", "a.b.c", "e30.e30.e30", "...", "Bearer x"])
def test_garbage_is_inactive(ts, tok):
    assert_inactive(introspect(ts, tok, basic=ts.client))
    assert_inactive(introspect(ts, tok, basic=ts.client, as_json=True))


def test_empty_token(ts):
    """An empty token is a missing token, in either encoding: 400 VALIDATION_REQUIRED_FIELD."""
    assert_error(introspect(ts, "", basic=ts.client), 400, "VALIDATION_REQUIRED_FIELD")
    assert_error(introspect(ts, "", basic=ts.client, as_json=True), 400, "VALIDATION_REQUIRED_FIELD")


def test_text_plain_is_415(ts, tokens):
    r = introspect(ts, None, basic=ts.client, data=f"token={tokens['user']}",
                   headers={"Content-Type": "text/plain"})
    assert_error(r, 415, "VALIDATION_UNSUPPORTED_MEDIA_TYPE")


def test_unknown_form_field_is_400(ts, tokens):
    r = introspect(ts, tokens["user"], basic=ts.client, extra={"scope": "x"})
    body = assert_error(r, 400, "VALIDATION_UNKNOWN_FIELD")
    assert "scope" in body["error"]["details"], body["error"]["details"]


def test_client_id_must_name_the_authenticated_client(ts, tokens):
    # RFC 6749 §2.3.1: client_id in the body is accepted; it must agree with the Basic credentials.
    assert_active(introspect(ts, tokens["user"], basic=ts.client, extra={"client_id": ts.client[0]}), tokens["user"])
    body = assert_unauthorized(introspect(ts, tokens["user"], basic=ts.client, extra={"client_id": "x"}))
    assert "client_id" in body["error"]["details"], body


def test_unknown_json_field_is_400(ts, tokens):
    r = introspect(ts, tokens["user"], basic=ts.client, as_json=True, extra={"scope": "x"})
    body = assert_error(r, 400, "VALIDATION_UNKNOWN_FIELD")
    assert "scope" in body["error"]["details"], body["error"]["details"]


def test_repeated_token_param_is_400(ts, tokens):
    r = introspect(ts, None, basic=ts.client,
                   data=f"token={tokens['user']}&token={tokens['admin']}",
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    body = assert_error(r, 400, "VALIDATION_INVALID_FORMAT")
    assert "token" in body["error"]["details"], body["error"]["details"]


def test_missing_token_is_400(ts):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert_error(introspect(ts, None, basic=ts.client, data="", headers=form), 400,
                 "VALIDATION_REQUIRED_FIELD")
    assert_error(introspect(ts, None, basic=ts.client, data="token_type_hint=access_token",
                            headers=form), 400, "VALIDATION_REQUIRED_FIELD")
    assert_error(introspect(ts, None, basic=ts.client, as_json=True), 400, "VALIDATION_REQUIRED_FIELD")


def test_token_of_wrong_json_type_is_400(ts):
    r = introspect(ts, None, basic=ts.client, data=json.dumps({"token": 42}),
                   headers={"Content-Type": "application/json"})
    assert_error(r, 400, "VALIDATION_INVALID_FORMAT")


def test_duplicate_json_key_in_body_is_400(ts, tokens):
    r = introspect(ts, None, basic=ts.client,
                   data='{"token":"%s","token":"%s"}' % (tokens["user"], tokens["admin"]),
                   headers={"Content-Type": "application/json"})
    assert_error(r, 400, "VALIDATION_MALFORMED_JSON")


def test_auth_is_checked_before_the_body(ts):
    """An unauthenticated caller learns nothing about the body's validity."""
    assert_unauthorized(introspect(ts, None, data="nonsense", headers={"Content-Type": "text/plain"}))


def test_get_is_405(ts):
    from support import http
    r = http(ts.server, "GET", INTROSPECT)
    assert_error(r, 405, "HTTP_METHOD_NOT_ALLOWED")
    assert "POST" in r.headers.get("Allow", ""), r.headers.get("Allow")
