"""The report of bench/run: the parts of latest.json computed from the finished results alone
(audit_cost, replay_summary), the machine and git facts the document records (cpu_model,
git_info), and latest.md rendered from the document (markdown).

Kept apart from the harness (bench/run): none of it needs the live run, only its results, so the
rendering can change without touching the orchestration. Python 3 standard library only.
"""
import platform
import re
import subprocess


def audit_cost(results):
    """What the durable audit row of agent_verify costs: the same tokens through introspect (no
    audit row) at 64 connections and at 1 connection."""
    r = results
    v, i, a = r.get("agent_verify"), r.get("agent_introspect"), r.get("agent_authenticate")
    v1, i1 = r.get("agent_verify_1c"), r.get("agent_introspect_1c")
    if not (v and i):
        return None
    out = {
        "verify_rows_per_request": v.get("durable_rows_per_request"),
        "introspect_rows_per_request": i.get("durable_rows_per_request"),
        "authenticate_rows_per_request": a.get("durable_rows_per_request") if a else None,
        "verify_rps": v["rps"], "introspect_rps": i["rps"],
        "verify_to_introspect_rps": round(v["rps"] / i["rps"], 3) if i["rps"] else None,
        "verify_minus_introspect_us_per_request": (round(1e6 / v["rps"] - 1e6 / i["rps"], 1)
                                                   if v["rps"] and i["rps"] else None),
    }
    if v1 and i1:
        out.update({"verify_1c_p50_ms": v1["p50_ms"], "introspect_1c_p50_ms": i1["p50_ms"],
                    "verify_minus_introspect_1c_p50_ms": round(v1["p50_ms"] - i1["p50_ms"], 3),
                    "verify_1c_rps": v1["rps"], "introspect_1c_rps": i1["rps"]})
    return out


def replay_summary(results, replay_scenarios, replay_sizes, replay_paths):
    """Each replayed scenario against its replay: how much of an ideal static server's rate with
    these very answers (bytes, headers, Lua script) the server reaches. replay_scenarios: bench/run's
    (replay scenario, Lua script, server scenario) triples; replay_sizes and replay_paths: the
    captured answers' sizes by path and the path of each replayed server scenario."""
    r = results
    out = {"meaning": "nginx answering the server's own captured answer (same bytes, same headers, same "
                      "Lua script): what an ideal static server reaches with these answers on this machine; "
                      "server_to_replay is the share of it the server reaches"}
    for name, _, server in replay_scenarios:
        ref, srv = r.get(name), r.get(server)
        if not ref:
            continue
        out[server] = {
            "replay_rps": ref["rps"], "replay_ratio_to_baseline": ref.get("ratio_to_baseline"),
            "server_rps": srv["rps"] if srv else None,
            "server_to_replay": round(srv["rps"] / ref["rps"], 3) if srv and ref["rps"] else None,
            "answer": replay_sizes.get(replay_paths.get(server)),
        }
    return out


def git_info(root):
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                    capture_output=True, text=True).stdout.strip())
        return {"commit": commit or None, "dirty": dirty}
    except OSError:
        return {"commit": None, "dirty": None}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
            return m.group(1).strip() if m else platform.processor()
    except OSError:
        return platform.processor()


def markdown(doc):
    """latest.md: the tables of the document bench/run writes to latest.json."""
    def f(v, fmt="{:.0f}"):
        return "—" if v is None else fmt.format(v)

    def met(v):
        return "—" if v is None else ("yes" if v else "**no**")

    pg = doc.get("postgres") if doc.get("store") == "postgres" else None
    # the store is named for PostgreSQL only: a SQLite run's header stays as it always was
    store = (f"PostgreSQL {pg['server_version']} store (pool {pg['pool_min']}–{pg['pool_max']}, worker threads "
             f"{pg['worker_threads'] or 'auto'}), " if pg else "")
    lines = [f"archon-auth bench, {doc['mode']} run, {doc['generated_at']}, commit "
             f"{(doc['git']['commit'] or '?')[:10]}{' (dirty tree)' if doc['git']['dirty'] else ''}, "
             f"{doc['binary']}, {store}{doc['machine']['cores']} cores ({doc['machine']['cpu']}), "
             f"load average before {doc['machine']['loadavg_before'][0]}, "
             f"{doc['settings']['seconds_per_scenario']} s per scenario.",
             "",
             "| scenario | conns | rps | p50 ms | p90 ms | p99 ms | errors | ratio to nginx | target | met |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    if pg:
        lines[1:1] = ["", f"Store: a throwaway PostgreSQL {pg['server_version']} on loopback, "
                      f"fsync = {pg['fsync']}, synchronous_commit = {pg['synchronous_commit']} "
                      f"(wal_sync_method {pg['wal_sync_method']}): every commit waits for its WAL flush — "
                      "durable commits are what this bench measures."]
    fsync_label = ("fsync of 4 KiB in the work dir, PostgreSQL's data dir (median; a WAL flush is at least this)"
                   if pg else "fsync of 4 KiB in the data dir (median)")
    for name, r in doc["scenarios"].items():
        lines.append(
            f"| {name} | {r['connections']} | {f(r['rps'])} | {f(r['p50_ms'], '{:.2f}')} | "
            f"{f(r['p90_ms'], '{:.2f}')} | {f(r['p99_ms'], '{:.2f}')} | {r['errors']} | "
            f"{f(r['ratio_to_baseline'], '{:.2f}')} | {r.get('target') or ''} | {met(r.get('met'))} |")
    lg, rss, st = doc["login"], doc["rss_mib"], doc["startup"]
    hm = lg.get("argon2id_hash_measured") or {}
    lines += [
        "",
        "| measure | value | target | met |",
        "|---|---|---|---|",
        f"| Argon2id hash (one verification by the server's code, {hm.get('params', 'm=19456,t=2,p=1')}, "
        f"{hm.get('implementation', '?')}) | {f(lg['argon2id_hash_ms'], '{:.1f}')} ms | — | — |",
        f"| libsodium's Argon2id on the same cost (reference only) | "
        f"{f(hm.get('libsodium_reference_median_ms'), '{:.1f}')} ms | — | — |",
        f"| login_1c p50 − me_1c p50 (hash + login's own work) | {f(lg['login_1c_p50_minus_me_1c_p50_ms'], '{:.1f}')} ms | — | — |",
        f"| hash-bound login limit ({lg['cores']} cores / hash) | {f(lg['hash_bound_rps'], '{:.1f}')} /s | — | — |",
        f"| login throughput vs hash-bound | {f(lg['login_rps'], '{:.1f}')} /s = "
        f"{f(lg['login_ratio_to_hash_bound'], '{:.2f}')} | ≥ 0.90, and login_1c p50 ≤ hash + 3 ms | {met(lg['met'])} |",
        f"| RSS idle after start-up | {rss.get('idle_after_start_mib')} MiB | — | — |",
        f"| RSS idle, seeded ({doc['settings']['users']} users, {doc['settings']['sessions']} sessions) | "
        f"{rss.get('idle_seeded_mib')} MiB | ≤ 64 MiB | {met(rss.get('met'))} |",
        f"| RSS peak under load (VmHWM) | {rss.get('peak_hwm_mib')} MiB | — | — |",
        f"| {fsync_label} | {doc['fsync_4k_ms']['median_ms']} ms | — | — |",
        f"| start-up: exec → `listening` | {st['exec_to_listening_ms']} ms (logged startup_ms {st['startup_ms_logged']}) | — | — |",
    ]
    ac = doc.get("audit_cost") or {}
    if ac:
        lines += [
            "",
            "| durable audit row (agent_verify vs agent_introspect, same tokens) | value |",
            "|---|---|",
            f"| durable rows per request: agent_verify / agent_introspect / agent_authenticate | "
            f"{f(ac.get('verify_rows_per_request'), '{:.2f}')} / {f(ac.get('introspect_rows_per_request'), '{:.2f}')} / "
            f"{f(ac.get('authenticate_rows_per_request'), '{:.2f}')} |",
            f"| rps at 64 connections: agent_verify / agent_introspect | {f(ac.get('verify_rps'))} / "
            f"{f(ac.get('introspect_rps'))} = {f(ac.get('verify_to_introspect_rps'), '{:.2f}')} |",
            f"| time per request at 64 connections (1 / rps): agent_verify − agent_introspect | "
            f"{f(ac.get('verify_minus_introspect_us_per_request'), '{:.1f}')} µs |",
            f"| p50 at 1 connection: agent_verify_1c / agent_introspect_1c (difference) | "
            f"{f(ac.get('verify_1c_p50_ms'), '{:.3f}')} / {f(ac.get('introspect_1c_p50_ms'), '{:.3f}')} ms "
            f"({f(ac.get('verify_minus_introspect_1c_p50_ms'), '{:.3f}')} ms) |",
            f"| fsync of 4 KiB (median), for comparison | {doc['fsync_4k_ms']['median_ms']} ms |",
        ]
    rp = {k: v for k, v in (doc.get("replay") or {}).items() if isinstance(v, dict)}
    if rp:
        lines += ["", "| same answers from nginx (replay) | replay rps | replay / baseline | server rps | server / replay |",
                  "|---|---:|---:|---:|---:|"]
        for name, v in rp.items():
            lines.append(f"| {name} | {f(v['replay_rps'])} | {f(v['replay_ratio_to_baseline'], '{:.2f}')} | "
                         f"{f(v['server_rps'])} | {f(v['server_to_replay'], '{:.2f}')} |")
    if doc["harness_failures"]:
        lines += ["", "Harness failures: " + "; ".join(doc["harness_failures"])]
    errs = [(n, r) for n, r in doc["scenarios"].items() if r.get("errors")]
    for n, r in errs:
        d = r["error_detail"]
        why = r.get("first_error") or r.get("probe_after") or r.get("probe") or ""
        lines.append(f"\n{n}: {r['errors']} errors ({', '.join(f'{k} {v}' for k, v in d.items() if v)})"
                     + (f"; first: `{why[:200]}`" if why else ""))
    lagged = [(n, r) for n, r in doc["scenarios"].items() if (r.get("audit_drain_s") or 0) >= 1]
    for n, r in lagged:
        lines.append(f"\n{n}: the server's audit writer was still committing this scenario's rows "
                     f"{r['audit_drain_s']:.1f} s after the load stopped (the rows are counted once written; "
                     "the next scenario starts after that)")
    notes = [f"- {n}: {r['note']}" for n, r in doc["scenarios"].items() if r.get("note")]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"
