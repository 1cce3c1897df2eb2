"""Helpers for tests/api/test_smtp.py: a throwaway PKI made with `cryptography` at test time, and a
real SMTP server (aiosmtpd) that records everything a client got through to it.

- make_ca(dir, name) -> Ca; ca.issue(dir, name, dns=..., ips=...) -> ServerCert (PEM files).
- SmtpSink(port, ...): an aiosmtpd server on 127.0.0.1:port. STARTTLS (tls=ServerCert) or implicit
  TLS (implicit_tls=True) or plain; AUTH required when `credentials` is given. It records every
  AUTH attempt and every MAIL/RCPT/DATA with whether the connection was encrypted at that moment,
  so a test can prove that nothing was sent in clear and nothing was delivered.
"""
from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# ----------------------------------------------------------------------------- PKI


@dataclass
class ServerCert:
    cert_file: Path
    key_file: Path


@dataclass
class Ca:
    name: str
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    ca_file: Path

    def issue(self, directory: Path, name: str, dns: tuple[str, ...] = ("localhost",),
              ips: tuple[str, ...] = ("127.0.0.1",)) -> ServerCert:
        """A server certificate signed by this CA, for these subject alternative names."""
        key = ec.generate_private_key(ec.SECP256R1())
        sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        builder = (_base_builder(name, self.cert.subject, key)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .add_extension(_key_usage(cert_sign=False), critical=True)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                                  critical=False))
        cert = builder.sign(self.key, hashes.SHA256())
        cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
        # The chain: leaf then CA, as a server sends it.
        cert_file.write_bytes(_pem(cert) + _pem(self.cert))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return ServerCert(cert_file, key_file)


def make_ca(directory: Path, name: str) -> Ca:
    """A self-signed CA; its certificate is written to <directory>/<name>.pem."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (_base_builder(name, subject, key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .sign(key, hashes.SHA256()))
    ca_file = directory / f"{name}.pem"
    ca_file.write_bytes(_pem(cert))
    return Ca(name, key, cert, ca_file)


def _base_builder(name: str, issuer: x509.Name, key) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=not cert_sign, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def server_tls_context(cert: ServerCert) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert.cert_file, cert.key_file)
    return ctx


# ----------------------------------------------------------------------------- SMTP server


@dataclass
class Command:
    verb: str        # AUTH, MAIL, RCPT, DATA
    encrypted: bool  # the connection was TLS when the command arrived
    detail: str = ""  # AUTH: mechanism, login, outcome; MAIL/RCPT: the address. Never a password.


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    encrypted: bool
    tls_version: str | None
    authenticated_as: str | None

    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)


@dataclass
class Credentials:
    username: str
    password: str


@dataclass
class _Record:
    lock: threading.Lock = field(default_factory=threading.Lock)
    commands: list[Command] = field(default_factory=list)
    messages: list[Received] = field(default_factory=list)


def _tls_version(server) -> str | None:
    transport = getattr(server, "transport", None)
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    return ssl_object.version() if ssl_object is not None else None


class _Handler:
    """aiosmtpd hooks: accept every address and message, write down what came."""

    def __init__(self, record: _Record):
        self.record = record

    def _note(self, server, verb: str, detail: str = "") -> None:
        with self.record.lock:
            self.record.commands.append(Command(verb, _tls_version(server) is not None, detail))

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self._note(server, "MAIL", address)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self._note(server, "RCPT", address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self._note(server, "DATA")
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        version = _tls_version(server)
        with self.record.lock:
            self.record.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                                 bytes(envelope.original_content or envelope.content),
                                                 version is not None, version, login))
        return "250 Message accepted for delivery"


class _Authenticator:
    def __init__(self, record: _Record, credentials: Credentials):
        self.record = record
        self.credentials = credentials

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login.decode() == self.credentials.username
              and auth_data.password.decode() == self.credentials.password)
        login = auth_data.login.decode(errors="replace") if isinstance(auth_data, LoginPassword) else "?"
        with self.record.lock:
            self.record.commands.append(Command("AUTH", _tls_version(server) is not None,
                                                f"{mechanism} {login} {'ok' if ok else 'refused'}"))
        if ok:
            return AuthResult(success=True, handled=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


class SmtpSink:
    """A real SMTP server on 127.0.0.1:port. Modes:
    - tls=ServerCert: offers STARTTLS and refuses everything else before it (require_starttls);
    - tls=ServerCert, implicit_tls=True: TLS from the first byte (SMTPS);
    - tls=None: plain SMTP, no STARTTLS offered at all.
    With credentials, AUTH (PLAIN/LOGIN, only under TLS when TLS exists) is required before MAIL."""

    def __init__(self, port: int, tls: ServerCert | None = None, *, implicit_tls: bool = False,
                 credentials: Credentials | None = None):
        self.port = port
        self.record = _Record()
        params: dict = {"hostname": "127.0.0.1", "port": port, "server_hostname": "smtp.archon.test"}
        if tls is not None and implicit_tls:
            params["ssl_context"] = server_tls_context(tls)
        elif tls is not None:
            params.update(tls_context=server_tls_context(tls), require_starttls=True)
        if credentials is not None:
            # Under implicit TLS aiosmtpd does not see its own TLS: the whole connection is TLS anyway.
            params.update(auth_required=True, auth_require_tls=tls is not None and not implicit_tls,
                          authenticator=_Authenticator(self.record, credentials))
        self.controller = Controller(_Handler(self.record), **params)
        self.running = False

    def start(self) -> "SmtpSink":
        self.controller.start()
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            self.running = False

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what arrived
    def messages(self) -> list[Received]:
        with self.record.lock:
            return list(self.record.messages)

    def commands(self) -> list[Command]:
        with self.record.lock:
            return list(self.record.commands)

    def messages_to(self, address: str) -> list[Received]:
        a = address.lower()
        return [m for m in self.messages() if a in (r.lower() for r in m.rcpt_tos)]

    def wait_for_messages_to(self, addresses, timeout: float, server=None) -> dict[str, list[Received]]:
        """Waits until every address has at least one message; returns them by address. Fails early
        (with the server's log) when the archon server exits."""
        deadline = time.monotonic() + timeout
        while True:
            got = {a: self.messages_to(a) for a in addresses}
            if all(got.values()):
                return got
            if server is not None and not server.alive():
                raise AssertionError(f"archon-auth exited with {server.proc.returncode} while waiting for mail:\n"
                                     f"{server.stderr_text()[-3000:]}")
            if time.monotonic() >= deadline:
                missing = [a for a, m in got.items() if not m]
                raise AssertionError(
                    f"no mail reached the SMTP server within {timeout}s for {missing}; commands seen: "
                    f"{self.commands()}\nserver log tail:\n{server.stderr_text()[-3000:] if server else ''}")
            time.sleep(0.1)


class SilentListener:
    """Accepts TCP connections on 127.0.0.1:port and never says a word (a wedged server): a client
    without timeouts would wait forever."""

    def __init__(self, port: int):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            self.accepted.append(conn)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(timeout=5)
        for conn in self.accepted:
            conn.close()

    def __enter__(self) -> "SilentListener":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
