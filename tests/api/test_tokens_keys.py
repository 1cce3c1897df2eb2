"""Issue 3, keys at rest: private keys sealed under the key-encryption key (a 0600 file made on
first start, or ARCHON_AUTH_KEK); a server given the wrong KEK refuses to start and leaves the
keys alone."""
import stat
import subprocess

from store_support import contains_in_clear, signing_key_rows, store_dump
from token_support import (SANITIZER_MARKERS, b64u_decode, cli_env, new_kek, read_keys,
                           start_token_server)


def key_rows(data_dir):
    """(kid, kind, alg, public_jwk, sealed_private) of every stored key, sorted; [] before the
    store exists. Either backend (store_support)."""
    return sorted(r[:5] for r in signing_key_rows(data_dir))


def test_kek_file_is_created_0600_and_seals_the_keys(start_server):
    srv = start_server(config={"tokens": {"key_refresh_seconds": 1}})
    kek_path = srv.data_dir / "kek"
    assert kek_path.is_file(), "no <data_dir>/kek on first start without ARCHON_AUTH_KEK"
    mode = stat.S_IMODE(kek_path.stat().st_mode)
    assert mode == 0o600, f"kek file mode {oct(mode)}"
    kek = kek_path.read_text().strip()
    assert len(b64u_decode(kek)) == 32, "kek file is not base64url of 32 bytes"
    keys = read_keys(srv.data_dir, kek)  # raises if the KEK does not open them
    assert sorted(k.kind for k in keys) == ["access", "agent"]
    assert not contains_in_clear(store_dump(srv.data_dir), b"PRIVATE KEY"), "a private key is stored in clear"


def test_kek_from_environment_makes_no_file(start_server, archon_bin):
    ts = start_token_server(start_server, archon_bin)
    assert not (ts.data_dir / "kek").exists(), "a kek file was created although ARCHON_AUTH_KEK is set"
    assert len(ts.stored_keys()) == 2


def _serve(archon_bin, data_dir, kek, workdir):
    env = cli_env(kek)
    return subprocess.run([str(archon_bin), "serve", "--data-dir", str(data_dir), "--listen", "127.0.0.1:0"],
                          capture_output=True, text=True, env=env, cwd=workdir, timeout=30,
                          stdin=subprocess.DEVNULL, errors="replace")


def test_wrong_kek_refuses_to_start(start_server, archon_bin, tmp_path):
    ts = start_token_server(start_server, archon_bin)
    before = key_rows(ts.data_dir)
    assert ts.server.stop() == 0
    try:
        proc = _serve(archon_bin, ts.data_dir, new_kek(), tmp_path)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("a server with the wrong KEK started and kept serving") from e
    assert proc.returncode != 0, "a server with the wrong KEK exited 0"
    assert "key-encryption key" in proc.stderr, proc.stderr[-1000:]
    for marker in SANITIZER_MARKERS:
        assert marker not in proc.stderr, proc.stderr[-3000:]
    assert key_rows(ts.data_dir) == before, "the stored keys changed under the wrong KEK"
    # and the right KEK still opens them
    ts2 = start_token_server(start_server, archon_bin, config=ts.config, kek=ts.kek, data_dir=ts.data_dir)
    assert ts2.published_kids() == {r[0] for r in before}


def test_malformed_kek_refuses_to_start(archon_bin, tmp_path):
    proc = _serve(archon_bin, tmp_path / "data", "dG9vLXNob3J0", tmp_path)  # 9 bytes
    assert proc.returncode != 0
    assert "ARCHON_AUTH_KEK" in proc.stderr, proc.stderr[-1000:]
    assert not key_rows(tmp_path / "data"), "keys were created under a malformed KEK"
