"""Helpers for the token-service tests (tests/api/test_tokens_*.py).

- start_token_server(): a server with a key-encryption key the test chose (ARCHON_AUTH_KEK), so
  the test can unseal the real signing keys from the store and forge tokens byte by byte.
- TokenServer: the CLI against that server's data dir (tokens issue, clients create, keys ...).
- forge(): compact JWS built by hand (any header/payload bytes, any signature).
- introspect()/revoke(): the RFC 7662/7009 endpoints, and assertions on their answers.
- Listener: a local TCP server that records every connection (jku/x5u must never be fetched).
- FileWatch: inotify on a canary file (a kid must never be used as a path).
"""
from __future__ import annotations

import base64
import copy
import ctypes
import ctypes.util
import hashlib
import hmac
import json
import os
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nacl.bindings
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from store_support import signing_key_rows
from support import RawConn, RawResponse, assert_error, assert_success, header_of, session

ISSUER = "archon-auth-service"
ACCESS_AUD = "archon-api"
AGENT_AUD = "archon-agent-system"
ACCESS_TYP = "at+jwt"
AGENT_TYP = "agent+jwt"
INTROSPECT = "/api/v2/auth/introspect"
REVOKE = "/api/v2/auth/revoke"
JWKS = "/.well-known/jwks.json"
DISCOVERY = "/.well-known/openid-configuration"
SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:", "ThreadSanitizer")
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

# Token tests want exact clocks and a server that picks up `keys rotate` quickly.
# The spec's literal issuer, configured: `tokens issue` (the CLI) cannot know a port-0 server's
# URL, which is the default issuer (test_standard_clients.py tests that default).
BASE_TOKENS_CONFIG = {"leeway_seconds": 0, "key_refresh_seconds": 1, "issuer": "archon-auth-service"}


# ----------------------------------------------------------------------------- encoding


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def json_bytes(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def encode_part(part) -> str:
    """dict/list -> compact JSON; str -> its UTF-8 bytes (raw JSON text, e.g. with duplicate
    keys); bytes -> as they are. Then base64url without padding."""
    if isinstance(part, (dict, list)):
        return b64u(json_bytes(part))
    if isinstance(part, str):
        return b64u(part.encode("utf-8"))
    return b64u(part)


def parts(token: str) -> tuple[dict, dict, bytes]:
    h, p, s = token.split(".")
    return json.loads(b64u_decode(h)), json.loads(b64u_decode(p)), b64u_decode(s)


def new_kek() -> str:
    return b64u(os.urandom(32))


# ----------------------------------------------------------------------------- signing


def sign(alg: str, key, data: bytes) -> bytes:
    """JWS signature over `data`. key: a private key object (or bytes for HS*)."""
    if alg in ("HS256", "HS384", "HS512"):
        return hmac.new(key, data, {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
                                    "HS512": hashlib.sha512}[alg]).digest()
    if alg in ("RS256", "RS384", "RS512"):
        h = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}[alg]
        return key.sign(data, padding.PKCS1v15(), h)
    if alg == "PS256":
        return key.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                        hashes.SHA256())
    if alg == "ES256":
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if alg == "ES256-DER":  # a valid ECDSA signature in DER instead of raw r||s
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if alg == "EdDSA":
        return key.sign(data)
    raise ValueError(f"no signer for {alg}")


def alg_of(key) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ES256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    raise ValueError(f"unknown key type {type(key)}")


def forge(header, payload, key=None, alg: str | None = None, signature: bytes | None = None,
          signature_text: str | None = None) -> str:
    """A compact JWS from exactly these parts. Signs header.payload with `key` (alg from the key
    unless given) unless `signature` (raw bytes) or `signature_text` (the literal third
    segment) is given."""
    signing_input = encode_part(header) + "." + encode_part(payload)
    if signature_text is not None:
        return signing_input + "." + signature_text
    if signature is None:
        if key is None:
            signature = b""
        else:
            signature = sign(alg or alg_of(key), key, signing_input.encode("ascii"))
    return signing_input + "." + b64u(signature)


DROP = object()  # a claim value meaning "leave this claim out"


def apply_overrides(base: dict, overrides: dict) -> dict:
    out = dict(base)
    for k, v in overrides.items():
        if v is DROP:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def access_claims(sub: str = "alice", roles=("admin",), ttl: int = 600, **overrides) -> dict:
    now = int(time.time())
    base = {"sub": sub, "roles": roles if roles is DROP else list(roles), "iss": ISSUER,
            "aud": ACCESS_AUD, "iat": now, "exp": now + ttl, "jti": b64u(os.urandom(16)),
            "type": "access"}
    return apply_overrides(base, {k: v for k, v in base.items() if v is DROP} | overrides)


def agent_claims(sub: str = "agent-1", ttl: int = 600, **overrides) -> dict:
    now = int(time.time())
    base = {"sub": sub, "iss": ISSUER, "aud": AGENT_AUD, "iat": now, "exp": now + ttl,
            "jti": b64u(os.urandom(16)), "type": "agent"}
    return apply_overrides(base, {k: v for k, v in base.items() if v is DROP} | overrides)


def header(kid: str, alg: str, typ: str = ACCESS_TYP, **overrides) -> dict:
    return apply_overrides({"alg": alg, "kid": kid, "typ": typ}, overrides)


# ----------------------------------------------------------------------------- the store


@dataclass
class StoredKey:
    kid: str
    kind: str
    alg: str
    public_jwk: dict
    public_jwk_text: str
    private: object
    created_at: int
    activates_at: int

    @property
    def public(self):
        return self.private.public_key()

    def public_pem(self, fmt=serialization.PublicFormat.SubjectPublicKeyInfo) -> bytes:
        return self.public.public_bytes(serialization.Encoding.PEM, fmt)


def read_keys(data_dir: Path, kek: str) -> list[StoredKey]:
    """Every signing key in the data dir's store (SQLite file or PostgreSQL database, see
    store_support), private halves unsealed with `kek`."""
    kek_bytes = b64u_decode(kek)
    rows = signing_key_rows(data_dir)
    out = []
    for kid, kind, alg, jwk_text, sealed, created, activates in rows:
        sealed = bytes(sealed)
        aad = f"archon-auth/signing-key/v1|{kid}|{kind}|{alg}".encode("ascii")
        pem = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(sealed[24:], aad, sealed[:24],
                                                                       kek_bytes)
        priv = serialization.load_pem_private_key(pem, password=None)
        out.append(StoredKey(kid, kind, alg, json.loads(jwk_text), jwk_text, priv, created, activates))
    return out


# ----------------------------------------------------------------------------- servers and CLI


def merge(base: dict, extra: dict | None) -> dict:
    out = copy.deepcopy(base)
    for k, v in (extra or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def cli_env(kek: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHON_AUTH_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    env["ARCHON_AUTH_KEK"] = kek
    return env


class TokenServer:
    """A running server whose KEK is known, plus the CLI against its data dir."""

    def __init__(self, server, archon_bin: Path, kek: str, config: dict):
        self.server = server
        self.archon_bin = Path(archon_bin)
        self.kek = kek
        self.config = config
        self._client: tuple[str, str] | None = None

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def data_dir(self) -> Path:
        return self.server.data_dir

    @property
    def config_path(self) -> Path:
        return self.server.workdir / "config.yaml"

    def cli(self, *args, check: bool = True) -> subprocess.CompletedProcess:
        argv = [str(self.archon_bin), *map(str, args)]
        for _ in range(50):  # the lead may be relinking the binary for a moment
            if self.archon_bin.exists():
                break
            time.sleep(0.2)
        proc = subprocess.run(argv, capture_output=True, text=True, env=cli_env(self.kek),
                              cwd=self.server.workdir, timeout=60, stdin=subprocess.DEVNULL,
                              errors="replace")
        for marker in SANITIZER_MARKERS:
            assert marker not in proc.stderr, f"{argv}: stderr has {marker!r}:\n{proc.stderr[-3000:]}"
        if check:
            assert proc.returncode == 0, f"{argv} exited {proc.returncode}:\n{proc.stderr[-2000:]}"
        return proc

    def _common(self) -> list[str]:
        return ["--config", str(self.config_path), "--data-dir", str(self.data_dir)]

    def issue(self, kind: str = "access", subject: str = "alice", roles=(), ttl: int | None = None) -> str:
        args = ["tokens", "issue", *self._common(), "--kind", kind, "--subject", subject]
        for r in roles:
            args += ["--role", r]
        if ttl is not None:
            args += ["--ttl", ttl]
        token = self.cli(*args).stdout.strip()
        assert token.count(".") == 2, f"`tokens issue` printed {token!r}"
        return token

    def admin_token(self, subject: str = "root-admin", ttl: int | None = None) -> str:
        return self.issue("access", subject, roles=("admin",), ttl=ttl)

    def create_client(self, name: str = "resource-server") -> tuple[str, str]:
        out = self.cli("clients", "create", *self._common(), "--name", name).stdout
        obj = json.loads(out)
        return obj["client_id"], obj["client_secret"]

    @property
    def client(self) -> tuple[str, str]:
        """A service credential (created once per TokenServer)."""
        if self._client is None:
            self._client = self.create_client()
        return self._client

    def rotate(self, kind: str, immediately: bool = False) -> subprocess.CompletedProcess:
        args = ["keys", "rotate", *self._common(), "--kind", kind]
        if immediately:
            args.append("--immediately")
        return self.cli(*args)

    def keys_list(self) -> str:
        return self.cli("keys", "list", *self._common()).stdout

    def stored_keys(self) -> list[StoredKey]:
        return read_keys(self.data_dir, self.kek)

    def signing_key(self, kind: str) -> StoredKey:
        """The key of this kind that signs now (latest activated)."""
        now = time.time()
        keys = [k for k in self.stored_keys() if k.kind == kind and k.activates_at <= now]
        assert keys, f"no active {kind} key in the store"
        return keys[-1]

    def jwks(self) -> dict:
        with session() as s:
            r = s.get(self.base_url + JWKS, timeout=10)
        assert r.status_code == 200, r.text[:300]
        return r.json()

    def published_kids(self) -> set[str]:
        return {k["kid"] for k in self.jwks()["keys"]}


def start_token_server(start, archon_bin, config: dict | None = None, kek: str | None = None,
                       args=(), data_dir: Path | None = None) -> TokenServer:
    """start: the start_server (or module_start_server) factory. config is merged over
    {tokens: BASE_TOKENS_CONFIG}."""
    kek = kek or new_kek()
    cfg = merge({"tokens": BASE_TOKENS_CONFIG}, config)
    args = list(args)
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    srv = start(config=cfg, args=args, env={"ARCHON_AUTH_KEK": kek})
    return TokenServer(srv, archon_bin, kek, cfg)


# ----------------------------------------------------------------------------- endpoints


def post(ts_or_server, path: str, *, token=None, hint=None, extra: dict | None = None,
         as_json: bool = False, basic: tuple[str, str] | None = None, bearer: str | None = None,
         headers: dict | None = None, data=None) -> requests.Response:
    base_url = ts_or_server.base_url
    hdrs = dict(headers or {})
    if bearer is not None:
        hdrs["Authorization"] = f"Bearer {bearer}"
    kwargs = {"headers": hdrs, "timeout": 15}
    if basic is not None:
        kwargs["auth"] = basic
    if data is not None:
        kwargs["data"] = data
    else:
        fields = {}
        if token is not None:
            fields["token"] = token
        if hint is not None:
            fields["token_type_hint"] = hint
        fields.update(extra or {})
        if as_json:
            kwargs["json"] = fields
        else:
            kwargs["data"] = fields
    with session() as s:
        return s.post(base_url + path, **kwargs)


def introspect(ts, token, **kw) -> requests.Response:
    return post(ts, INTROSPECT, token=token, **kw)


def revoke(ts, token, **kw) -> requests.Response:
    return post(ts, REVOKE, token=token, **kw)


def assert_unauthorized(resp) -> dict:
    body = assert_error(resp, 401, "AUTH_TOKEN_INVALID")
    www = header_of(resp, "WWW-Authenticate")
    assert www, "401 without WWW-Authenticate"
    return body


def introspection_answer(resp) -> dict:
    """The RFC 7662 response: top-level for a form-encoded request (what OAuth libraries send),
    the envelope's `data` for a JSON one (docs: openapi.yaml, introspectToken)."""
    if isinstance(resp, RawResponse):  # raw_post() always sends a form
        assert resp.status == 200, f"{resp.status}: {resp.body[:500]!r}"
        sent, status, headers, body = "application/x-www-form-urlencoded", resp.status, dict(resp.headers), resp.json()
    else:
        sent = resp.request.headers.get("Content-Type", "") if resp.request is not None else ""
        status, headers = resp.status_code, resp.headers
        body = resp.json() if sent.startswith("application/x-www-form-urlencoded") else None
    if sent.startswith("application/x-www-form-urlencoded"):
        assert status == 200, f"{status}: {body!r}"
        assert headers.get("Content-Type", "").startswith("application/json"), headers
        assert headers.get("Cache-Control") == "no-store", headers
        assert "success" not in body and "data" not in body, f"form request answered in the envelope: {body!r}"
        return body
    return assert_success(resp)["data"]


def assert_inactive(resp) -> None:
    data = introspection_answer(resp)
    assert data == {"active": False}, f"expected exactly {{'active': false}}, got {data!r}"


def assert_active(resp, token: str | None = None, token_type: str | None = None) -> dict:
    data = introspection_answer(resp)
    assert isinstance(data, dict) and data.get("active") is True, f"expected active, got {data!r}"
    if token is not None:
        _, claims, _ = parts(token)
        expected = dict(claims, active=True)
        if token_type is None:
            token_type = "access_token" if claims.get("type") == "access" else "agent_token"
        expected["token_type"] = token_type
        assert data == expected, f"introspection data {data!r} != claims + active + token_type {expected!r}"
    return data


def raw_post(ts, path: str, body: bytes, headers: dict[str, bytes | str], timeout: float = 15):
    """POST with hand-written bytes (for non-ASCII or huge header values). Tolerates the server
    closing early (413/431)."""
    lines = [f"POST {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
    for k, v in headers.items():
        lines.append(k.encode("ascii") + b": " + (v if isinstance(v, bytes) else v.encode("latin-1")))
    lines.append(f"Content-Length: {len(body)}".encode())
    data = b"\r\n".join(lines) + b"\r\n\r\n" + body
    with RawConn.to(ts.server, timeout) as c:
        c.send(data, tolerate_reset=True)
        return c.read_response()


def form_body(**fields) -> bytes:
    from urllib.parse import urlencode
    return urlencode(fields).encode("ascii")


# ----------------------------------------------------------------------------- observers


class Listener:
    """A TCP server on 127.0.0.1 that records every connection and answers any HTTP request
    with `body` (a JWKS, a certificate...). Used as a jku/x5u target: it must see nothing."""

    def __init__(self, body: bytes = b"{}", content_type: str = "application/json"):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.body = body
        self.content_type = content_type
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def url(self, path: str = "/jwks.json", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    first = conn.recv(65536)
                except OSError:
                    first = b""
                self.connections.append(first)
                head = (f"HTTP/1.1 200 OK\r\nContent-Type: {self.content_type}\r\n"
                        f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n").encode()
                try:
                    conn.sendall(head + self.body)
                except OSError:
                    pass

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


_IN_ACCESS, _IN_OPEN = 0x001, 0x020


class FileWatch:
    """inotify on one file: records any open or read of it (by any process)."""

    def __init__(self, path: Path):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        wd = libc.inotify_add_watch(self.fd, str(path).encode(), _IN_ACCESS | _IN_OPEN)
        if wd < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch")

    def events(self) -> list[int]:
        out = []
        while True:
            try:
                buf = os.read(self.fd, 4096)
            except BlockingIOError:
                return out
            off = 0
            while off + 16 <= len(buf):
                _wd, mask, _cookie, length = struct.unpack_from("iIII", buf, off)
                out.append(mask)
                off += 16 + length

    def close(self):
        os.close(self.fd)


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def self_signed_cert(key, cn: str = "attacker") -> bytes:
    """DER of a self-signed certificate for `key` (for x5c)."""
    import datetime

    from cryptography import x509
    from cryptography.x509.oid import NameOID
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def public_jwk(key, kid: str) -> dict:
    """The public JWK of a private key object (RSA, P-256 or Ed25519)."""
    pub = key.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        nums = pub.public_numbers()
        n = nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
        e = nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64u(n), "e": b64u(e)}
    if isinstance(pub, ec.EllipticCurvePublicKey):
        nums = pub.public_numbers()
        return {"kty": "EC", "use": "sig", "alg": "ES256", "kid": kid, "crv": "P-256",
                "x": b64u(nums.x.to_bytes(32, "big")), "y": b64u(nums.y.to_bytes(32, "big"))}
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "use": "sig", "alg": "EdDSA", "kid": kid, "crv": "Ed25519", "x": b64u(raw)}



def jwk_client(jwks_url: str):
    """PyJWT's PyJWKClient on this URL and nothing else (no proxy from the environment, no
    cache shared between clients)."""
    import urllib.request

    import jwt
    urllib.request.install_opener(urllib.request.build_opener(urllib.request.ProxyHandler({})))
    return jwt.PyJWKClient(jwks_url, cache_keys=False, cache_jwk_set=False)


def verify_independently(jwks_url: str, token: str, audience: str, issuer: str | None = None) -> tuple[dict, dict]:
    """Verifies `token` with PyJWT + cryptography given only the JWKS URL; the issuer is the
    discovery document's (served beside the JWKS) unless given. Returns (header, claims)."""
    import jwt
    if issuer is None:
        base = jwks_url.removesuffix("/.well-known/jwks.json")
        with session() as s:
            issuer = s.get(base + "/.well-known/openid-configuration", timeout=10).json()["issuer"]
    signing_key = jwk_client(jwks_url).get_signing_key_from_jwt(token)
    hdr = jwt.get_unverified_header(token)
    claims = jwt.decode(token, signing_key.key, algorithms=[hdr["alg"]], audience=audience,
                        issuer=issuer, leeway=0,
                        options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]})
    return hdr, claims
