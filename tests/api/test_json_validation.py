"""Item 9 of the foundation against a real JSON endpoint (POST /api/v2/auth/register): the
Content-Type check, strict JSON, per-field details, and that nothing is half-written."""
import json

import pytest
import requests

REGISTER = "/api/v2/auth/register"
GOOD = {"email": "val@example.com", "password": "a long enough passphrase 42", "name": "Val",
        "terms_accepted": True}


def post_raw(server, body: bytes, content_type="application/json"):
    return requests.post(server.base_url + REGISTER, data=body, headers={"Content-Type": content_type}, timeout=30)


def error_of(r, status):
    assert r.status_code == status, r.text
    body = r.json()
    assert body["success"] is False and body["data"] is None
    return body["error"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonp",
                                          "application/json; charset=latin1", "multipart/form-data; boundary=x"])
def test_other_content_types_are_415(server, content_type):
    err = error_of(post_raw(server, json.dumps(GOOD).encode(), content_type), 415)
    assert err["code"] == "VALIDATION_UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize("body", [
    b"{", b"", b"[]", b'"text"', b"{} {}", b"{'email': 1}", b'{"email": "a@b.co",}',
    b'{"email": "a@b.co", "email": "b@b.co"}',          # duplicate key
    b'{"name": "\xff\xfe"}',                              # invalid UTF-8
    b'{"name": "\xed\xa0\x80"}',                          # an encoded surrogate
    b'{"x": ' + b"[" * 33 + b"]" * 33 + b"}",             # deeper than 32
    b'{"x": 1e400}',                                      # out of range
])
def test_malformed_json_is_400(server, body):
    err = error_of(post_raw(server, body), 400)
    assert err["code"] == "VALIDATION_MALFORMED_JSON", err
    assert isinstance(err["details"], dict) and err["details"], err


def test_field_problems_are_named(server):
    err = error_of(requests.post(server.base_url + REGISTER, json={"email": 5, "role": "admin"}, timeout=30), 400)
    assert err["code"] == "VALIDATION_UNKNOWN_FIELD"
    assert {"role", "email", "password", "name", "terms_accepted"} <= set(err["details"]), err
    err = error_of(requests.post(server.base_url + REGISTER, json={**GOOD, "terms_accepted": "yes"}, timeout=30), 400)
    assert err["code"] == "VALIDATION_INVALID_FORMAT" and "terms_accepted" in err["details"]
    err = error_of(requests.post(server.base_url + REGISTER, json={**GOOD, "name": ""}, timeout=30), 422)
    assert err["code"] == "VALIDATION_CONSTRAINT_VIOLATION" and "name" in err["details"]


def test_rejected_requests_write_nothing_and_the_server_keeps_serving(server):
    for body in (b"{", b'{"email": "val@example.com", "email": "x@y.zz"}'):
        post_raw(server, body)
    ok = requests.post(server.base_url + REGISTER, json=GOOD, timeout=30)
    assert ok.status_code == 201, ok.text
    assert requests.get(server.base_url + "/health", timeout=10).status_code == 200
