"""Issue 3, strict verification: every hostile token of "What it must show" is refused.

Each case is sent twice to POST /api/v2/auth/introspect:
- as `Authorization: Bearer <case>` (the body names a valid token, so only the bearer is
  wrong) -> 401 AUTH_TOKEN_INVALID in the envelope, with WWW-Authenticate;
- as the `token` a service client introspects -> 200 {"active": false}.

Claim-level cases are forged with the server's REAL signing key (unsealed from the store with a
KEK the test chose), each changing exactly one thing from a token the server accepts; the
unchanged controls are checked first."""
from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from support import assert_error, assert_serves
from token_support import (ACCESS_TYP, AGENT_AUD, AGENT_TYP, DROP, INTROSPECT, ISSUER,
                           apply_overrides,
                           FileWatch, Listener, access_claims, agent_claims, assert_active,
                           assert_inactive, assert_unauthorized, b64u, encode_part, forge,
                           form_body, header, introspect, json_bytes, parts, public_jwk, raw_post,
                           self_signed_cert, sign, start_token_server)


class Ctx:
    def __init__(self, ts):
        self.ts = ts
        self.ak = ts.signing_key("access")   # the real RS256 access key
        self.gk = ts.signing_key("agent")    # the real ES256 agent key
        self.client = ts.client
        self.admin = ts.admin_token("introspection-target")  # the valid body token

    def access(self, hdr: dict | None = None, **claims) -> str:
        """A token the server accepts (admin access token), with header members and claims
        overridden (DROP removes one), signed with the real access key."""
        h = apply_overrides(header(self.ak.kid, "RS256", ACCESS_TYP), hdr or {})
        return forge(h, access_claims(**claims), self.ak.private, "RS256")

    def agent(self, hdr: dict | None = None, **claims) -> str:
        h = apply_overrides(header(self.gk.kid, "ES256", AGENT_TYP), hdr or {})
        return forge(h, agent_claims(**claims), self.gk.private, "ES256")

    def raw(self, header_text: str, payload_text: str, key=None, alg: str = "RS256") -> str:
        return forge(header_text, payload_text, key if key is not None else self.ak.private, alg)


@pytest.fixture(scope="module")
def ctx(module_start_server, archon_bin):
    return Ctx(start_token_server(module_start_server, archon_bin))


def send_bearer(ctx, token: str, body_token: str | None = None):
    body_token = body_token or ctx.admin
    if token.isascii():
        return introspect(ctx.ts, body_token, bearer=token)
    return raw_post(ctx.ts, INTROSPECT, form_body(token=body_token),
                    {"Content-Type": "application/x-www-form-urlencoded",
                     "Authorization": b"Bearer " + token.encode("utf-8")})


def assert_rejected(ctx, token: str) -> None:
    """401 as the caller's bearer; inactive when introspected; the server lives on."""
    r = send_bearer(ctx, token)
    assert_unauthorized(r)
    text = r.text if hasattr(r, "text") else r.body.decode("utf-8", "replace")
    assert token not in text, "the 401 echoes the token"
    assert_inactive(introspect(ctx.ts, token, basic=ctx.client))
    assert ctx.ts.server.alive(), "server died"


# ----------------------------------------------------------------------------- controls


def test_control_cli_admin_token_accepted(ctx):
    assert_active(introspect(ctx.ts, ctx.admin, bearer=ctx.admin), ctx.admin)


def test_control_forged_access_token_accepted(ctx):
    tok = ctx.access()
    assert_active(introspect(ctx.ts, ctx.admin, bearer=tok), ctx.admin)
    assert_active(introspect(ctx.ts, tok, basic=ctx.client), tok, "access_token")


def test_control_forged_agent_token_active(ctx):
    tok = ctx.agent()
    assert_active(introspect(ctx.ts, tok, basic=ctx.client), tok, "agent_token")


def test_control_raw_forms_accepted(ctx):
    """The raw-JSON path of forge() (used by the duplicate-key cases) makes accepted tokens."""
    c = access_claims()
    tok = ctx.raw(json.dumps(header(ctx.ak.kid, "RS256")), json.dumps(c))
    assert_active(introspect(ctx.ts, ctx.admin, bearer=tok), ctx.admin)


def test_control_nbf_in_the_past_accepted(ctx):
    tok = ctx.access(nbf=int(time.time()) - 10)
    assert_active(introspect(ctx.ts, ctx.admin, bearer=tok), ctx.admin)


def test_agent_token_is_never_an_access_token(ctx):
    agent = ctx.ts.issue("agent", "agent-1")
    assert_unauthorized(introspect(ctx.ts, ctx.admin, bearer=agent))
    # the same token is a valid agent token (introspection reports it as one)
    assert_active(introspect(ctx.ts, agent, basic=ctx.client), agent, "agent_token")


# ----------------------------------------------------------------------------- the cases


def _hs(ctx, alg: str, secret: bytes) -> str:
    return forge(header(ctx.ak.kid, alg), access_claims(), secret, alg)


def _none(ctx, alg_value: str, with_sig: bool) -> str:
    h = header(ctx.ak.kid, alg_value)
    if not with_sig:
        return forge(h, access_claims(), signature=b"")
    signing_input = encode_part(h) + "." + encode_part(access_claims())
    return signing_input + "." + b64u(sign("RS256", ctx.ak.private, signing_input.encode()))


def _std_alphabet_sig(ctx) -> str:
    for _ in range(50):  # a signature whose base64url has both '-' and '_'
        h, p, s = ctx.access().split(".")
        if "-" in s and "_" in s:
            return f"{h}.{p}.{s.replace('-', '+').replace('_', '/')}"
    raise AssertionError("no signature with both - and _ in 50 tries")


def _sig_with_char(ctx, ch: str) -> str:
    h, p, s = ctx.access().split(".")
    return f"{h}.{p}.{s[:100]}{ch}{s[101:]}"


def _noncanonical_tail(ctx) -> str:
    """Same signature bytes, but the last base64url character has non-zero unused bits."""
    h, p, s = ctx.access().split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    unused = (6 * len(s)) - 8 * len(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    assert unused > 0, "signature length leaves no unused bits"
    last = alphabet.index(s[-1])
    return f"{h}.{p}.{s[:-1]}{alphabet[last | 1]}"


def _padded(ctx) -> str:
    """Correct base64 padding on the first of header/payload whose length needs some (a
    lenient decoder would read the same bytes)."""
    h, p, s = ctx.access().split(".")
    if len(h) % 4:
        return f"{h}{'=' * (-len(h) % 4)}.{p}.{s}"
    for _ in range(8):
        h, p, s = ctx.access(sub="alice" + "x" * _).split(".")
        if len(p) % 4:
            return f"{h}.{p}{'=' * (-len(p) % 4)}.{s}"
    raise AssertionError("no segment needing padding")


def _tampered_payload(ctx) -> str:
    """A non-admin token whose payload is swapped for one with roles [admin]; same signature."""
    user = ctx.access(roles=())
    h, p, s = user.split(".")
    claims = parts(user)[1]
    claims["roles"] = ["admin"]
    return f"{h}.{encode_part(claims)}.{s}"


def _tampered_sig(ctx) -> str:
    h, p, s = ctx.access().split(".")
    mid = len(s) // 2
    return f"{h}.{p}.{s[:mid]}{'B' if s[mid] != 'B' else 'C'}{s[mid + 1:]}"


def _dup_header(ctx, text: str) -> str:
    return ctx.raw(text.replace("KID", ctx.ak.kid), json.dumps(access_claims()))


def _dup_payload(ctx, extra_first: str, **claims) -> str:
    """Payload JSON with `extra_first` members placed before the normal (valid) claims, so a
    last-wins parser sees a valid token and a first-wins parser sees the extra values."""
    body = json.dumps(access_claims(**claims))
    return ctx.raw(json.dumps(header(ctx.ak.kid, "RS256")), "{" + extra_first + "," + body[1:])


def _agent_key_access_claims(ctx) -> str:
    return forge(header(ctx.gk.kid, "ES256", ACCESS_TYP), access_claims(), ctx.gk.private, "ES256")


def _access_key_agent_claims(ctx) -> str:
    return forge(header(ctx.ak.kid, "RS256", AGENT_TYP), agent_claims(), ctx.ak.private, "RS256")


def _agent_zero_sig(ctx) -> str:
    return forge(header(ctx.gk.kid, "ES256", AGENT_TYP), agent_claims(), signature=bytes(64))


def _agent_der_sig(ctx) -> str:
    return forge(header(ctx.gk.kid, "ES256", AGENT_TYP), agent_claims(), ctx.gk.private, "ES256-DER")


def _segments(ctx, n: int) -> str:
    h, p, s = ctx.access().split(".")
    return {1: h, 2: f"{h}.{p}", 4: f"{h}.{p}.{s}.{s[:43]}", 5: f"{h}.{p}.{s}.{p}.{s}"}[n]


def _pem(ctx, fmt: str) -> bytes:
    from cryptography.hazmat.primitives import serialization as ser
    if fmt == "spki":
        return ctx.ak.public_pem()
    if fmt == "spki-nonl":
        return ctx.ak.public_pem().rstrip(b"\n")
    if fmt == "pkcs1":
        return ctx.ak.public_pem(ser.PublicFormat.PKCS1)
    if fmt == "der":
        return ctx.ak.public.public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)
    raise ValueError(fmt)


NOW = lambda: int(time.time())  # noqa: E731

CASES = {
    # alg none, any case, with and without a signature
    "alg-none": lambda c: _none(c, "none", False),
    "alg-None": lambda c: _none(c, "None", False),
    "alg-nOnE": lambda c: _none(c, "nOnE", False),
    "alg-NONE": lambda c: _none(c, "NONE", False),
    "alg-none-signed": lambda c: _none(c, "none", True),
    "alg-None-signed": lambda c: _none(c, "None", True),
    "alg-nOnE-signed": lambda c: _none(c, "nOnE", True),
    "alg-none-empty-string": lambda c: _none(c, "", True),
    "alg-missing": lambda c: c.access(hdr={"alg": DROP}),
    # the public key as an HMAC secret (algorithm confusion)
    "hs256-public-pem": lambda c: _hs(c, "HS256", _pem(c, "spki")),
    "hs256-public-pem-no-newline": lambda c: _hs(c, "HS256", _pem(c, "spki-nonl")),
    "hs256-public-pem-pkcs1": lambda c: _hs(c, "HS256", _pem(c, "pkcs1")),
    "hs256-public-der": lambda c: _hs(c, "HS256", _pem(c, "der")),
    "hs256-public-jwk": lambda c: _hs(c, "HS256", c.ak.public_jwk_text.encode()),
    "hs256-public-jwk-compact": lambda c: _hs(c, "HS256", json_bytes(c.ak.public_jwk)),
    "hs384-public-pem": lambda c: _hs(c, "HS384", _pem(c, "spki")),
    "hs512-public-pem": lambda c: _hs(c, "HS512", _pem(c, "spki")),
    # the real key under another algorithm than the one bound to it
    "alg-RS512-real-key": lambda c: forge(header(c.ak.kid, "RS512"), access_claims(), c.ak.private, "RS512"),
    "alg-PS256-real-key": lambda c: forge(header(c.ak.kid, "PS256"), access_claims(), c.ak.private, "PS256"),
    "alg-rs256-lowercase": lambda c: forge(header(c.ak.kid, "rs256"), access_claims(), c.ak.private, "RS256"),
    "alg-ES256-on-access-kid": lambda c: forge(header(c.ak.kid, "ES256"), access_claims(), c.gk.private, "ES256"),
    "alg-RS256-on-agent-kid": lambda c: forge(header(c.gk.kid, "RS256"), access_claims(), c.ak.private, "RS256"),
    # kid
    "kid-dotdot-dev-null": lambda c: c.access(hdr={"kid": "../../dev/null"}),
    "kid-sql-injection": lambda c: c.access(hdr={"kid": "' OR '1'='1"}),
    "kid-sql-injection-union": lambda c: c.access(hdr={"kid": f"x' UNION SELECT * FROM signing_keys WHERE kid='{c.ak.kid}"}),
    "kid-5kb": lambda c: c.access(hdr={"kid": "k" * 5000}),
    "kid-unknown": lambda c: c.access(hdr={"kid": "access-20991231-AAAAAAAAAAAA"}),
    "kid-missing": lambda c: c.access(hdr={"kid": DROP}),
    "kid-empty": lambda c: c.access(hdr={"kid": ""}),
    "kid-uppercased": lambda c: c.access(hdr={"kid": c.ak.kid.upper()}),
    "kid-prefix": lambda c: c.access(hdr={"kid": c.ak.kid[:-1]}),
    "kid-trailing-space": lambda c: c.access(hdr={"kid": c.ak.kid + " "}),
    "kid-trailing-nul": lambda c: c.access(hdr={"kid": c.ak.kid + "\u0000"}),
    "kid-number": lambda c: c.access(hdr={"kid": 1}),
    "kid-array": lambda c: c.access(hdr={"kid": [c.ak.kid]}),
    # typ / aud / iss
    "typ-JWT": lambda c: c.access(hdr={"typ": "JWT"}),
    "typ-agent": lambda c: c.access(hdr={"typ": AGENT_TYP}),
    "typ-missing": lambda c: c.access(hdr={"typ": DROP}),
    "aud-agent-system": lambda c: c.access(aud=AGENT_AUD),
    "aud-other": lambda c: c.access(aud="https://evil.example"),
    "aud-other-array": lambda c: c.access(aud=["https://evil.example"]),
    "aud-missing": lambda c: c.access(aud=DROP),
    "iss-other": lambda c: c.access(iss="https://evil.example"),
    "iss-trailing-slash": lambda c: c.access(iss=ISSUER + "/"),
    "iss-missing": lambda c: c.access(iss=DROP),
    # time
    "expired": lambda c: c.access(iat=NOW() - 60, exp=NOW() - 5),
    "nbf-future": lambda c: c.access(nbf=NOW() + 60),
    "exp-missing": lambda c: c.access(exp=DROP),
    "exp-string": lambda c: c.access(exp=str(NOW() + 600)),
    "exp-null": lambda c: c.access(exp=None),
    "iat-missing": lambda c: c.access(iat=DROP),
    "jti-missing": lambda c: c.access(jti=DROP),
    "sub-missing": lambda c: c.access(sub=DROP),
    # kinds are exclusive
    "agent-key-signs-access-claims": _agent_key_access_claims,
    "access-key-signs-agent-claims": _access_key_agent_claims,
    # signatures
    "es256-zero-signature-agent": _agent_zero_sig,
    "es256-der-signature-agent": _agent_der_sig,
    "signature-empty": lambda c: c.access().rsplit(".", 1)[0] + ".",
    "signature-tampered": _tampered_sig,
    "payload-tampered-roles": _tampered_payload,
    # structure
    "segments-1": lambda c: _segments(c, 1),
    "segments-2": lambda c: _segments(c, 2),
    "segments-4": lambda c: _segments(c, 4),
    "segments-4-empty-last": lambda c: c.access() + ".",
    "segments-5": lambda c: _segments(c, 5),
    "segments-empty": lambda c: "..",
    "header-not-json": lambda c: forge(b"not json at all", access_claims(), c.ak.private, "RS256"),
    "header-json-array": lambda c: forge([header(c.ak.kid, "RS256")], access_claims(), c.ak.private, "RS256"),
    "payload-json-array": lambda c: forge(header(c.ak.kid, "RS256"), [access_claims()], c.ak.private, "RS256"),
    "payload-not-json": lambda c: forge(header(c.ak.kid, "RS256"), b"\xff\xfe garbage", c.ak.private, "RS256"),
    # charset
    "padding-on-signature": lambda c: c.access() + "==",
    "padding-on-header-or-payload": lambda c: _padded(c),
    "standard-alphabet-signature": _std_alphabet_sig,
    "plus-in-signature": lambda c: _sig_with_char(c, "+"),
    "slash-in-signature": lambda c: _sig_with_char(c, "/"),
    "equals-in-signature": lambda c: _sig_with_char(c, "="),
    "non-ascii-in-signature": lambda c: _sig_with_char(c, "é"),
    "non-ascii-in-header": lambda c: "é" + c.access(),
    "space-in-signature": lambda c: _sig_with_char(c, " "),
    "noncanonical-base64-tail": _noncanonical_tail,
    # duplicate JSON keys (each version signed with the real key)
    "dup-header-alg-none-first": lambda c: _dup_header(c, '{"alg":"none","alg":"RS256","kid":"KID","typ":"at+jwt"}'),
    "dup-header-alg-identical": lambda c: _dup_header(c, '{"alg":"RS256","alg":"RS256","kid":"KID","typ":"at+jwt"}'),
    "dup-header-kid": lambda c: _dup_header(c, '{"alg":"RS256","kid":"../../dev/null","kid":"KID","typ":"at+jwt"}'),
    "dup-header-typ": lambda c: _dup_header(c, '{"alg":"RS256","kid":"KID","typ":"agent+jwt","typ":"at+jwt"}'),
    "dup-payload-sub": lambda c: _dup_payload(c, '"sub":"mallory"'),
    "dup-payload-roles": lambda c: _dup_payload(c, '"roles":[]'),
    "dup-payload-exp": lambda c: _dup_payload(c, f'"exp":{NOW() - 3600}'),
    "dup-payload-aud": lambda c: _dup_payload(c, '"aud":"https://evil.example"'),
    "dup-payload-identical-sub": lambda c: _dup_payload(c, '"sub":"alice"', sub="alice"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_rejected(ctx, case):
    assert_rejected(ctx, CASES[case](ctx))


# ----------------------------------------------------------------------------- ES256 access


def test_es256_zero_and_malformed_signatures(start_server, archon_bin):
    """tokens.access.algorithm ES256: an all-zero 64-byte signature (CVE-2022-21449), a DER
    signature, r = n, and 63/65-byte signatures are refused; the well-formed control passes."""
    ts = start_token_server(start_server, archon_bin, config={"tokens": {"access": {"algorithm": "ES256"}}})
    key = ts.signing_key("access")
    assert key.alg == "ES256"
    c = Ctx.__new__(Ctx)
    c.ts, c.ak, c.gk, c.client = ts, key, ts.signing_key("agent"), ts.client
    c.admin = ts.admin_token()
    h = header(key.kid, "ES256")
    control = forge(h, access_claims(), key.private, "ES256")
    assert_active(introspect(ts, c.admin, bearer=control), c.admin)
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 order
    good = parts(control)[2]
    for name, sig in [("zero", bytes(64)),
                      ("der", None),
                      ("r=n,s=1", n.to_bytes(32, "big") + (1).to_bytes(32, "big")),
                      ("63 bytes", good[:63]),
                      ("65 bytes", good + b"\x00"),
                      ("65 bytes lead", b"\x00" + good)]:
        if sig is None:
            tok = forge(h, access_claims(), key.private, "ES256-DER")
        else:
            tok = forge(h, access_claims(), signature=sig)
        try:
            assert_rejected(c, tok)
        except AssertionError as e:
            raise AssertionError(f"ES256 signature case {name!r}: {e}") from e


# ----------------------------------------------------------------------------- jku / x5u / jwk


def test_jku_x5u_jwk_x5c_are_never_followed(ctx):
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attacker_ec = ec.generate_private_key(ec.SECP256R1())
    cert = self_signed_cert(attacker)
    ajwk = public_jwk(attacker, "attacker-key")
    jwks = json.dumps({"keys": [ajwk, dict(ajwk, kid=ctx.ak.kid)]}).encode()
    listener = Listener(jwks)
    try:
        real = ctx.ak.kid
        x5u = listener.url("/cert.pem")

        def signed(hdr, key=attacker, alg="RS256"):
            return forge(hdr, access_claims(), key, alg)

        cases = {
            "jku-attacker-kid": signed({"alg": "RS256", "kid": "attacker-key", "typ": ACCESS_TYP, "jku": listener.url()}),
            "jku-real-kid": signed({"alg": "RS256", "kid": real, "typ": ACCESS_TYP, "jku": listener.url()}),
            "jku-https": signed({"alg": "RS256", "kid": real, "typ": ACCESS_TYP, "jku": listener.url(scheme="https")}),
            "jku-no-kid": signed({"alg": "RS256", "typ": ACCESS_TYP, "jku": listener.url()}),
            "x5u-real-kid": signed({"alg": "RS256", "kid": real, "typ": ACCESS_TYP, "x5u": x5u}),
            "x5u-no-kid": signed({"alg": "RS256", "typ": ACCESS_TYP, "x5u": x5u}),
            "jwk-embedded-real-kid": signed({"alg": "RS256", "kid": real, "typ": ACCESS_TYP, "jwk": dict(ajwk, kid=real)}),
            "jwk-embedded-own-kid": signed({"alg": "RS256", "kid": "attacker-key", "typ": ACCESS_TYP, "jwk": ajwk}),
            "jwk-embedded-no-kid": signed({"alg": "RS256", "typ": ACCESS_TYP, "jwk": ajwk}),
            "jwk-embedded-ec": signed({"alg": "ES256", "typ": ACCESS_TYP, "kid": "ec",
                                       "jwk": public_jwk(attacker_ec, "ec")}, attacker_ec, "ES256"),
            "x5c-real-kid": signed({"alg": "RS256", "kid": real, "typ": ACCESS_TYP,
                                    "x5c": [base64.b64encode(cert).decode()]}),
        }
        failures = []
        for name, tok in cases.items():
            try:
                assert_rejected(ctx, tok)
            except AssertionError as e:
                failures.append(f"{name}: {e}")
        time.sleep(0.5)
        assert not listener.connections, f"the server fetched a key URL: {listener.connections[:3]!r}"
        assert not failures, "\n".join(failures)
    finally:
        listener.close()


def test_jku_x5u_on_a_genuine_token_are_ignored(ctx):
    """A token signed with the real key that also names a jku/x5u/jwk/x5c: these members are
    ignored (never fetched, never used); the token verifies against the real key."""
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    listener = Listener(b'{"keys":[]}')
    try:
        for extra in ({"jku": listener.url()}, {"x5u": listener.url("/c.pem")},
                      {"jwk": public_jwk(attacker, "attacker")},
                      {"x5c": [base64.b64encode(self_signed_cert(attacker)).decode()]}):
            tok = ctx.access(hdr=extra)
            r = introspect(ctx.ts, ctx.admin, bearer=tok)
            assert_active(r, ctx.admin)
        time.sleep(0.5)
        assert not listener.connections, f"the server fetched a key URL: {listener.connections[:3]!r}"
    finally:
        listener.close()


def test_kid_is_never_a_path(ctx, tmp_path):
    """A kid naming a file is never opened (inotify watches a canary file)."""
    canary = tmp_path / "canary-key.pem"
    canary.write_bytes(ctx.ak.public_pem())
    watch = FileWatch(canary)
    try:
        for kid in (str(canary), "../" * 16 + str(canary).lstrip("/"), "file://" + str(canary),
                    str(tmp_path) + "/./canary-key.pem"):
            tok = forge(header(kid, "HS256"), access_claims(), canary.read_bytes(), "HS256")
            watch.events()  # drop our own read
            assert_rejected(ctx, tok)
            assert_rejected(ctx, ctx.access(hdr={"kid": kid}))
            time.sleep(0.1)
            ev = watch.events()
            assert not ev, f"kid {kid!r}: the canary file was opened/read (inotify masks {ev})"
    finally:
        watch.close()


# ----------------------------------------------------------------------------- sizes


def _big_header_token(ctx, size: int) -> str:
    return forge(header(ctx.ak.kid, "RS256", pad="p" * size), access_claims(), ctx.ak.private, "RS256")


def test_1mb_header_as_bearer_is_431(ctx):
    tok = _big_header_token(ctx, 1 << 20)
    r = raw_post(ctx.ts, INTROSPECT, form_body(token=ctx.admin),
                 {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer " + tok})
    assert_error(r, 431, "REQUEST_HEADERS_TOO_LARGE")
    assert_serves(ctx.ts.server)


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "form"])
def test_1mb_header_in_body_is_413(ctx, as_json):
    tok = _big_header_token(ctx, 1 << 20)
    if as_json:
        body, ctype = json.dumps({"token": tok}).encode(), "application/json"
    else:
        body, ctype = form_body(token=tok), "application/x-www-form-urlencoded"
    basic = base64.b64encode(f"{ctx.client[0]}:{ctx.client[1]}".encode()).decode()
    r = raw_post(ctx.ts, INTROSPECT, body, {"Content-Type": ctype, "Authorization": "Basic " + basic})
    assert_error(r, 413, "REQUEST_BODY_TOO_LARGE")
    assert_serves(ctx.ts.server)


def test_10kb_kid(ctx):
    """Above the 8 KiB header limit as a bearer (431); inactive when introspected."""
    tok = ctx.access(hdr={"kid": "k" * 10240})
    r = raw_post(ctx.ts, INTROSPECT, form_body(token=ctx.admin),
                 {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer " + tok})
    assert_error(r, 431, "REQUEST_HEADERS_TOO_LARGE")
    assert_inactive(introspect(ctx.ts, tok, basic=ctx.client))
    assert_inactive(introspect(ctx.ts, tok, basic=ctx.client, as_json=True))


def test_20kb_header_in_body(ctx):
    """A 20 KB token fits the 64 KiB body: in either encoding it is just an invalid token,
    inactive (RFC 7662 2.2: an invalid token is no error)."""
    tok = _big_header_token(ctx, 20000)
    assert_inactive(introspect(ctx.ts, tok, basic=ctx.client))
    assert_inactive(introspect(ctx.ts, tok, basic=ctx.client, as_json=True))


def _sized_token(ctx, total: int) -> str:
    """A genuine admin token (real key, all claims valid) of exactly `total` characters,
    grown with an extra claim; JSON whitespace in the header fine-tunes the length."""
    for spaces in range(4):
        hdr_text = json.dumps(header(ctx.ak.kid, "RS256"), separators=("," + " " * spaces, ":"))
        for n in range(max(0, (total * 3) // 4 - 600), (total * 3) // 4 + 50):
            claims = access_claims(pad="x" * n)
            length = len(b64u(hdr_text.encode())) + 1 + len(b64u(json_bytes(claims))) + 1 + 342
            if length == total:
                tok = forge(hdr_text, json_bytes(claims), ctx.ak.private, "RS256")
                assert len(tok) == total
                return tok
    raise AssertionError(f"could not build a token of exactly {total} characters")


def test_token_size_cap_8192(ctx):
    """The token size cap is 8192 bytes: a genuine token of 8192 is active, of 8193 inactive."""
    at_cap = _sized_token(ctx, 8192)
    over = _sized_token(ctx, 8193)
    assert_active(introspect(ctx.ts, at_cap, basic=ctx.client, as_json=True), at_cap)
    assert_inactive(introspect(ctx.ts, over, basic=ctx.client, as_json=True))


def test_7kb_tokens_as_bearer(ctx):
    """A ~7 KB bearer fits the 8 KiB header limit: a genuine one is accepted, a garbage one is
    401."""
    genuine = _sized_token(ctx, 7000)
    assert_active(introspect(ctx.ts, ctx.admin, bearer=genuine), ctx.admin)
    h, p, s = genuine.split(".")
    garbage = h + "." + "A" * len(p) + "." + s
    assert_rejected(ctx, garbage)


# ----------------------------------------------------------------------------- cache


def test_cached_token_does_not_vouch_for_a_tampered_copy(ctx):
    """After a token is verified (and cached), a copy with another payload or signature is
    not accepted on the strength of the cache."""
    user = ctx.access(roles=())
    admin = ctx.access()
    assert_active(introspect(ctx.ts, user, basic=ctx.client), user)
    assert_active(introspect(ctx.ts, ctx.admin, bearer=admin), ctx.admin)
    uh, up, us = user.split(".")
    ah, ap, as_ = admin.split(".")
    for tok in (f"{uh}.{ap}.{us}", f"{ah}.{up}.{as_}", f"{uh}.{up}.{as_}", f"{ah}.{ap}.{us}"):
        assert_rejected(ctx, tok)
    assert_active(introspect(ctx.ts, ctx.admin, bearer=admin), ctx.admin)  # still fine


# ----------------------------------------------------------------------------- leeway


def test_leeway_applies_to_exp_and_nbf(start_server, archon_bin):
    ts = start_token_server(start_server, archon_bin, config={"tokens": {"leeway_seconds": 30}})
    c = Ctx(ts)
    now = int(time.time())
    for tok in (c.access(iat=now - 60, exp=now - 10), c.access(nbf=now + 10)):
        assert_active(introspect(ts, c.admin, bearer=tok), c.admin)
    for tok in (c.access(iat=now - 120, exp=now - 60), c.access(nbf=now + 60)):
        assert_rejected(c, tok)


# ----------------------------------------------------------------------------- after all


def test_server_still_serves_and_logged_no_token(ctx):
    assert_serves(ctx.ts.server)
    text = ctx.ts.server.stderr_text()
    sig = ctx.admin.split(".")[2]
    assert sig[:40] not in text, "a token appears in the server's log"
    assert ctx.client[1] not in text, "a client secret appears in the server's log"
    statuses = {(o.get("route"), o.get("status")) for o in ctx.ts.server.log_lines() if o.get("msg") == "request"}
    assert ("/api/v2/auth/introspect", 401) in statuses, statuses
    assert not any(s >= 500 for _, s in statuses if isinstance(s, int)), statuses
