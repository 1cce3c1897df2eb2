"""SMTP delivery (issue 22, part 2; docs/mail.md), black-box: the real binary with
`mail.transport: smtp` sends to a real SMTP server (aiosmtpd, tests/api/smtp_support.py) that
requires STARTTLS and AUTH, with a test CA made in tmp_path.

What must hold: the verification mail arrives encrypted and authenticated, with the right envelope
and RFC 5322 headers, and its token verifies; mail waits while the SMTP server is down and all of
it goes out when the server returns; a certificate from another CA or for another name, a server
without STARTTLS, or a wrong password delivers nothing (nothing at all in clear), keeps the mail
queued, and never puts the password or the body in the log.
"""
from __future__ import annotations

import email
import email.policy
import email.utils
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from identity_support import (VERIFY, Client, data_of, identity_config, read_mails, register,
                              unique_email)
from smtp_support import Ca, Credentials, Received, ServerCert, SilentListener, SmtpSink, make_ca
from support import free_port

pytestmark = [
    # aiosmtpd warns about AUTH without its own STARTTLS; under implicit TLS the whole connection is TLS.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
]

SMTP_USER = "archon-mailer"
SMTP_PASSWORD = "smtp-Pa55-7f3a9c-sekret"  # distinctive, so the log can be searched for it
WRONG_PASSWORD = "wrong-Pa55-1b2c3d-sekret"
CREDENTIALS = Credentials(SMTP_USER, SMTP_PASSWORD)
SMTP_ENV = {"ARCHON_AUTH_SMTP_USERNAME": SMTP_USER, "ARCHON_AUTH_SMTP_PASSWORD": SMTP_PASSWORD}

SENDER = "no-reply@archon.test"
MAIL_FROM = f"archon-auth <{SENDER}>"
PUBLIC_URL = "https://auth.archon.test"
# Phrases of the verification mail's body (src/identity/mail_templates.cpp): never in the log.
BODY_PHRASES = ("Please confirm this address", "If you did not register")

DELIVERY_WAIT = 20.0    # one healthy delivery: the outbox polls every 200 ms
RECOVERY_WAIT = 60.0    # after an outage: the retry backoff (1, 2, 4 ... s) has to come round
FAILURE_WAIT = 20.0


@dataclass
class Pki:
    ca: Ca
    server: ServerCert  # signed by ca, for 127.0.0.1 and localhost
    dir: Path


@pytest.fixture
def pki(tmp_path) -> Pki:
    d = tmp_path / "pki"
    ca = make_ca(d, "archon-test-ca")
    return Pki(ca, ca.issue(d, "smtp-server"), d)


def smtp_config(port: int, ca_file: Path, security: str = "starttls") -> dict:
    return identity_config({
        "tokens": {"public_url": PUBLIC_URL},
        "identity": {"mail_from": MAIL_FROM},
        "mail": {"transport": "smtp",
                 "smtp": {"host": "127.0.0.1", "port": port, "security": security, "ca_file": str(ca_file),
                          "connect_timeout_seconds": 5, "timeout_seconds": 10}},
    })


def register_users(server, count: int, prefix: str) -> list[str]:
    addresses = [unique_email(prefix) for _ in range(count)]
    with Client(server) as client:
        for address in addresses:
            data_of(register(client, address), 201)
    return addresses


def token_of(message: Received) -> str:
    text = message.message().get_body(preferencelist=("plain",)).get_content()
    found = re.findall(r"Verification token:\s*(\S+)", text)
    assert found, f"no 'Verification token:' line in the mail body:\n{text}"
    return found[-1]


def assert_token_verifies(server, message: Received) -> None:
    with Client(server) as client:
        assert data_of(client.post(VERIFY, {"token": token_of(message)})) == {"email_verified": True}


def failed_deliveries(server) -> list[dict]:
    return [o for o in server.log_lines() if o.get("msg") == "mail delivery failed"]


def wait_for_failures(server, distinct_messages: int, timeout: float = FAILURE_WAIT,
                      attempts: int = 1) -> list[dict]:
    """Waits until `distinct_messages` outbox rows have each failed `attempts` times; fails at once
    when a delivery succeeds instead (every caller expects failures only)."""
    deadline = time.monotonic() + timeout
    while True:
        delivered = [o for o in server.log_lines() if o.get("msg") == "mail delivered"]
        assert not delivered, f"delivered although every attempt must fail: {delivered}"
        failures = failed_deliveries(server)
        retried = {f.get("message_id") for f in failures if int(f.get("attempt", 0)) >= attempts}
        if len(retried) >= distinct_messages:
            for f in failures:  # the reason is there, on one line (docs/mail.md)
                assert isinstance(f.get("error"), str) and f["error"].strip() and "\n" not in f["error"], f
            return failures
        assert server.alive(), f"archon-auth exited:\n{server.stderr_text()[-3000:]}"
        if time.monotonic() >= deadline:
            raise AssertionError(f"expected {distinct_messages} failed deliveries in the log within {timeout}s; "
                                 f"log tail:\n{server.stderr_text()[-3000:]}")
        time.sleep(0.1)


def server_output(server) -> str:
    out = server.workdir / "stdout.log"
    return server.stderr_text() + (out.read_text(errors="replace") if out.exists() else "")


def assert_log_clean(server, *secrets: str) -> None:
    """No SMTP password and no mail body anywhere in what the server wrote."""
    text = server_output(server)
    for secret in (SMTP_PASSWORD, WRONG_PASSWORD, *secrets):
        assert secret not in text, f"{secret!r} appears in the server's output"
    for phrase in BODY_PHRASES:
        assert phrase not in text, f"the mail body ({phrase!r}) appears in the server's output"


def assert_nothing_reached(sink: SmtpSink) -> None:
    """No message, and no AUTH, MAIL, RCPT or DATA at all: the client gave up before them."""
    assert sink.messages() == [], f"delivered although it must not be: {sink.messages()}"
    assert sink.commands() == [], f"commands reached the SMTP server: {sink.commands()}"


# ----------------------------------------------------------------------------- delivery


def test_verification_mail_arrives_over_starttls_authenticated(start_server, pki):
    port = free_port()
    with SmtpSink(port, pki.server, credentials=CREDENTIALS) as sink:
        server = start_server(smtp_config(port, pki.ca.ca_file), env=SMTP_ENV)
        [address] = register_users(server, 1, "smtp")
        [message] = sink.wait_for_messages_to([address], DELIVERY_WAIT, server)[address][:1]

        assert message.encrypted and message.tls_version in ("TLSv1.2", "TLSv1.3"), message.tls_version
        assert message.authenticated_as == SMTP_USER
        assert all(c.encrypted for c in sink.commands()), f"a command in clear: {sink.commands()}"
        assert message.mail_from == SENDER, f"envelope sender {message.mail_from!r}"
        assert message.rcpt_tos == [address], f"envelope recipients {message.rcpt_tos!r}"
        assert_rfc5322_headers(message, address)
        assert_token_verifies(server, message)

        assert server.wait_for_log(lambda o: o.get("msg") == "mail delivered"), "no 'mail delivered' log line"
        assert not (server.data_dir / "mail").exists() or not list((server.data_dir / "mail").glob("*.eml")), \
            "the smtp transport also wrote .eml files"
        assert_log_clean(server, token_of(message))


def assert_rfc5322_headers(message: Received, address: str) -> None:
    msg = message.message()
    assert msg["From"].addresses[0].addr_spec == SENDER and msg["From"].addresses[0].display_name == "archon-auth", \
        f"From: {msg['From']!r}"
    assert [a.addr_spec for a in msg["To"].addresses] == [address], f"To: {msg['To']!r}"
    assert str(msg["Subject"]) == "Verify your email address", f"Subject: {msg['Subject']!r}"
    sent = email.utils.parsedate_to_datetime(str(msg["Date"]))
    assert abs((sent - datetime.now(timezone.utc)).total_seconds()) < 300, f"Date: {msg['Date']!r}"
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", str(msg["Message-ID"])), f"Message-ID: {msg['Message-ID']!r}"
    assert str(msg["MIME-Version"]) == "1.0", f"MIME-Version: {msg['MIME-Version']!r}"
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8", \
        f"Content-Type: {msg['Content-Type']!r}"
    assert str(msg["Content-Transfer-Encoding"]).lower() == "quoted-printable", \
        f"Content-Transfer-Encoding: {msg['Content-Transfer-Encoding']!r}"
    for name in ("From", "To", "Subject", "Date", "Message-ID"):
        assert len(msg.get_all(name)) == 1, f"{name} appears {len(msg.get_all(name))} times"
    assert msg["Bcc"] is None, "a Bcc header went out"
    body = msg.get_content()
    assert f"{PUBLIC_URL}/api/v2/auth/verify-email" in body, f"no verification link in the body:\n{body}"


def test_smtp_message_matches_the_file_mailers(start_server, pki):
    """The same message either way: the smtp transport sends what the file transport writes."""
    port = free_port()
    with SmtpSink(port, pki.server, credentials=CREDENTIALS) as sink:
        server = start_server(smtp_config(port, pki.ca.ca_file), env=SMTP_ENV)
        [address] = register_users(server, 1, "same")
        sent = sink.wait_for_messages_to([address], DELIVERY_WAIT, server)[address][0].message()
    file_config = smtp_config(port, pki.ca.ca_file)
    del file_config["mail"]
    file_server = start_server(file_config)
    register_users(file_server, 1, "same")
    deadline = time.monotonic() + DELIVERY_WAIT
    while not read_mails(file_server.data_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    [written] = read_mails(file_server.data_dir)
    filed = email.message_from_bytes(written.raw, policy=email.policy.default)
    assert sorted(k.lower() for k in sent.keys()) == sorted(k.lower() for k in filed.keys()), \
        f"headers differ: smtp {sent.keys()} file {filed.keys()}"
    for name in ("From", "Subject", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"):
        assert str(sent[name]) == str(filed[name]), f"{name}: smtp {sent[name]!r}, file {filed[name]!r}"
    strip_token = lambda text: re.sub(r"Verification token:\s*\S+", "", text)  # noqa: E731
    assert strip_token(sent.get_content()) == strip_token(filed.get_content())


def test_implicit_tls_delivers(start_server, pki):
    port = free_port()
    with SmtpSink(port, pki.server, implicit_tls=True, credentials=CREDENTIALS) as sink:
        server = start_server(smtp_config(port, pki.ca.ca_file, security="tls"), env=SMTP_ENV)
        [address] = register_users(server, 1, "smtps")
        message = sink.wait_for_messages_to([address], DELIVERY_WAIT, server)[address][0]
        assert message.encrypted and message.authenticated_as == SMTP_USER, message
        assert message.mail_from == SENDER and message.rcpt_tos == [address], message
        assert_token_verifies(server, message)
        assert_log_clean(server)


def test_without_a_username_no_auth_is_attempted(start_server, pki):
    port = free_port()
    with SmtpSink(port, pki.server) as sink:  # STARTTLS, no AUTH offered
        server = start_server(smtp_config(port, pki.ca.ca_file))
        [address] = register_users(server, 1, "noauth")
        message = sink.wait_for_messages_to([address], DELIVERY_WAIT, server)[address][0]
        assert message.encrypted and message.authenticated_as is None, message
        assert [c.verb for c in sink.commands() if c.verb == "AUTH"] == []


# ----------------------------------------------------------------------------- outage


@pytest.mark.timeout(180)
def test_mail_waits_while_smtp_is_down_and_none_is_lost(start_server, pki):
    port = free_port()  # nothing listens here yet: connections are refused
    server = start_server(smtp_config(port, pki.ca.ca_file), env=SMTP_ENV)
    addresses = register_users(server, 3, "outage")
    wait_for_failures(server, 3, attempts=2)  # down for a first attempt and a retry of each

    with SmtpSink(port, pki.server, credentials=CREDENTIALS) as sink:
        got = sink.wait_for_messages_to(addresses, RECOVERY_WAIT, server)
        for address in addresses:
            message = got[address][0]
            assert message.encrypted and message.authenticated_as == SMTP_USER, message
            assert_token_verifies(server, message)
    assert_log_clean(server)


@pytest.mark.timeout(120)
def test_a_silent_server_times_out_and_the_mail_goes_out_later(start_server, pki):
    port = free_port()
    config = smtp_config(port, pki.ca.ca_file)
    config["mail"]["smtp"].update(connect_timeout_seconds=2, timeout_seconds=3)
    with SilentListener(port) as silent:
        server = start_server(config, env=SMTP_ENV)
        [address] = register_users(server, 1, "silent")
        started = time.monotonic()
        wait_for_failures(server, 1, timeout=15)
        assert silent.accepted, "the SMTP client never connected"
        assert time.monotonic() - started < 12, "the attempt outlived its timeouts by far"
    with SmtpSink(port, pki.server, credentials=CREDENTIALS) as sink:
        message = sink.wait_for_messages_to([address], RECOVERY_WAIT, server)[address][0]
        assert_token_verifies(server, message)


# ----------------------------------------------------------------------------- refusals


@pytest.mark.timeout(120)
@pytest.mark.parametrize("impostor", ["other_ca", "other_name"])
def test_unverifiable_certificate_delivers_nothing_and_mail_stays_queued(start_server, pki, impostor):
    if impostor == "other_ca":  # right names, wrong issuer
        bad_cert = make_ca(pki.dir, "rogue-ca").issue(pki.dir, "impostor")
    else:  # right issuer, certificate for another host
        bad_cert = pki.ca.issue(pki.dir, "elsewhere", dns=("smtp.elsewhere.test",), ips=("192.0.2.7",))
    port = free_port()
    with SmtpSink(port, bad_cert, credentials=CREDENTIALS) as impostor_sink:
        server = start_server(smtp_config(port, pki.ca.ca_file), env=SMTP_ENV)
        [address] = register_users(server, 1, impostor)
        wait_for_failures(server, 1)
        assert_nothing_reached(impostor_sink)
    assert_log_clean(server)

    # Still queued: the genuine server on the same port gets it on a later retry.
    with SmtpSink(port, pki.server, credentials=CREDENTIALS) as sink:
        message = sink.wait_for_messages_to([address], RECOVERY_WAIT, server)[address][0]
        assert_token_verifies(server, message)


@pytest.mark.timeout(120)
def test_starttls_required_sends_nothing_to_a_server_without_it(start_server, pki):
    port = free_port()
    # Plain SMTP, no STARTTLS offered, AUTH accepted in clear: a client that went on would show here.
    with SmtpSink(port, None, credentials=CREDENTIALS) as plain_sink:
        server = start_server(smtp_config(port, pki.ca.ca_file, security="starttls"), env=SMTP_ENV)
        [address] = register_users(server, 1, "cleartext")
        # The failure is logged after the SMTP session ended: whatever the client sent is recorded.
        wait_for_failures(server, 1)
        assert_nothing_reached(plain_sink)
    assert_log_clean(server)

    # Still queued: a server that offers STARTTLS on the same port gets it.
    with SmtpSink(port, pki.server, credentials=CREDENTIALS) as sink:
        message = sink.wait_for_messages_to([address], RECOVERY_WAIT, server)[address][0]
        assert message.encrypted and message.authenticated_as == SMTP_USER, message


def test_security_none_delivers_in_clear(start_server, pki):
    port = free_port()
    with SmtpSink(port, None) as sink:  # a local relay: no TLS, no AUTH
        server = start_server(smtp_config(port, pki.ca.ca_file, security="none"))
        [address] = register_users(server, 1, "plain")
        message = sink.wait_for_messages_to([address], DELIVERY_WAIT, server)[address][0]
        assert not message.encrypted and message.authenticated_as is None, message
        assert message.mail_from == SENDER and message.rcpt_tos == [address], message
        assert_token_verifies(server, message)


@pytest.mark.timeout(120)
def test_wrong_password_delivers_nothing_and_is_never_logged(start_server, pki):
    port = free_port()
    wrong_env = {**SMTP_ENV, "ARCHON_AUTH_SMTP_PASSWORD": WRONG_PASSWORD}
    with SmtpSink(port, pki.server, credentials=CREDENTIALS) as sink:
        server = start_server(smtp_config(port, pki.ca.ca_file), env=wrong_env)
        [address] = register_users(server, 1, "badpass")
        wait_for_failures(server, 1)
        auths = [c for c in sink.commands() if c.verb == "AUTH"]
        assert auths and all(c.encrypted and c.detail.endswith("refused") for c in auths), sink.commands()
        assert [c for c in sink.commands() if c.verb != "AUTH"] == [], f"went on after AUTH failed: {sink.commands()}"
        assert sink.messages() == []
        assert_log_clean(server)

        # Still queued across a restart: the same data dir with the right password delivers it.
        server.stop()
        restarted = start_server(smtp_config(port, pki.ca.ca_file), env=SMTP_ENV,
                                 args=["--data-dir", str(server.data_dir)])
        message = sink.wait_for_messages_to([address], RECOVERY_WAIT, restarted)[address][0]
        assert message.authenticated_as == SMTP_USER
        assert_token_verifies(restarted, message)
        assert_log_clean(restarted)


# ----------------------------------------------------------------------------- config


def test_smtp_config_passes_config_check(run_cli, tmp_path, pki):
    cfg = tmp_path / "smtp.yaml"
    cfg.write_text(yaml.safe_dump(smtp_config(2525, pki.ca.ca_file)))
    p = run_cli("config", "check", cfg)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.parametrize("key,value", [("mail.transport", "pigeon"), ("mail.smtp.security", "maybe"),
                                       ("mail.smtp.port", 70000)])
def test_bad_smtp_config_is_named(run_cli, tmp_path, pki, key, value):
    config = smtp_config(2525, pki.ca.ca_file)
    *parents, leaf = key.split(".")
    node = config
    for part in parents:
        node = node[part]
    node[leaf] = value
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(config))
    p = run_cli("config", "check", cfg)
    assert p.returncode != 0, f"{key}: {value!r} accepted: {p.stdout + p.stderr}"
    assert key in p.stdout + p.stderr, f"message does not name {key}: {p.stdout + p.stderr!r}"
