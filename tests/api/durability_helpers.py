"""Load for the kill -9 durability test (tests/api/test_durability_kill9.py, issue 26): threads that
mint agent tokens and rotate refresh chains as fast as the server answers, recording only what
came back 2xx, and a trigger that SIGKILLs the server while they are still sending.

What counts as "answered" is a complete 2xx response read by the client before the kill; a
request whose connection died (the kill) is "cut", and one started before the kill and cut is
proof that requests were in flight when the server died.
"""
from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field

import requests

from agent_support import AUTHENTICATE, SPEC_TASK, SPEC_TYPE
from identity_support import REFRESH
from support import session

MINT_CAPS = ["file:read", "file:write"]
RETRY_STATUSES = {503}  # overloaded: not acknowledged, the same request is sent again


@dataclass
class Chain:
    """One session's refresh rotations, done strictly one after another."""
    session_id: str
    last_answered: str  # the newest refresh token the server handed back
    rotations: int = 0


@dataclass
class LoadResult:
    minted: dict[str, str] = field(default_factory=dict)  # agent_id -> agent token, answered 2xx
    chains: list[Chain] = field(default_factory=list)
    cut_in_flight: int = 0   # requests started before the kill whose answer never came
    cut_after: int = 0       # requests started after the kill (connection refused)
    retried: int = 0         # 503 answers, sent again
    unexpected: list[str] = field(default_factory=list)  # any other non-2xx answer
    kill_at: float = 0.0     # time.monotonic() of the SIGKILL
    seconds: float = 0.0     # load start to kill


class Load:
    """Minter threads (each on one access token) and one refresher thread per chain."""

    def __init__(self, base_url: str, mint_tokens: list[str], chains: list[Chain], minters: int):
        self.base_url = base_url
        self.mint_tokens = mint_tokens
        self.result = LoadResult(chains=chains)
        self.minters = minters
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.killed = threading.Event()

    # -- one request, classified
    def _send(self, s: requests.Session, path: str, body: dict, token: str | None = None):
        """The 2xx response, or None when the connection died (counted as cut). Retries 503;
        records any other answer as unexpected and returns None."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        while not self.stop.is_set():
            started_before_kill = not self.killed.is_set()
            try:
                r = s.post(self.base_url + path, json=body, headers=headers, timeout=30)
            except requests.RequestException:
                with self.lock:
                    if started_before_kill:
                        self.result.cut_in_flight += 1
                    else:
                        self.result.cut_after += 1
                return None
            if 200 <= r.status_code < 300:
                return r
            with self.lock:
                if r.status_code in RETRY_STATUSES:
                    self.result.retried += 1
                    continue
                self.result.unexpected.append(f"POST {path} -> {r.status_code} {r.text[:300]}")
            return None
        return None

    # -- the two kinds of worker
    def _mint_loop(self, token: str) -> None:
        body = {"agent_type": SPEC_TYPE, "capabilities_requested": MINT_CAPS, "task_context": SPEC_TASK}
        with session() as s:
            while not self.stop.is_set():
                r = self._send(s, AUTHENTICATE, body, token)
                if r is None:
                    return
                data = r.json()["data"]
                with self.lock:
                    self.result.minted[data["agent_id"]] = data["agent_token"]

    def _refresh_loop(self, chain: Chain) -> None:
        with session() as s:
            while not self.stop.is_set():
                r = self._send(s, REFRESH, {"refresh_token": chain.last_answered})
                if r is None:
                    return
                data = r.json()["data"]
                with self.lock:  # the answer is what the client now holds: the chain's newest
                    if data.get("session_id") != chain.session_id or not data.get("refresh_token"):
                        self.result.unexpected.append(f"refresh answer for {chain.session_id}: {data}")
                        return
                    chain.last_answered = data["refresh_token"]
                    chain.rotations += 1

    # -- run, kill, collect
    def run_and_kill(self, server, min_seconds: float, min_each: int, max_wait: float = 30) -> LoadResult:
        """Runs the load; once it has run min_seconds and at least min_each mints and rotations
        were answered, SIGKILLs `server` (requests still going) and waits for the threads."""
        threads = [threading.Thread(target=self._mint_loop, args=(self.mint_tokens[i % len(self.mint_tokens)],))
                   for i in range(self.minters)]
        threads += [threading.Thread(target=self._refresh_loop, args=(c,)) for c in self.result.chains]
        start = time.monotonic()
        for t in threads:
            t.start()
        try:
            while time.monotonic() - start < max_wait:
                with self.lock:
                    rotations = sum(c.rotations for c in self.result.chains)
                    enough = len(self.result.minted) >= min_each and rotations >= min_each
                if enough and time.monotonic() - start >= min_seconds:
                    break
                if not any(t.is_alive() for t in threads):
                    break  # every worker stopped early: the caller's assertions say why
                time.sleep(0.02)
            self.killed.set()
            self.result.kill_at = time.monotonic()
            self.result.seconds = self.result.kill_at - start
            server.stop(signal.SIGKILL)
        finally:
            self.stop.set()
            for t in threads:
                t.join(40)
        return self.result
