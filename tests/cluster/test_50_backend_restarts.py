"""Redis, then PostgreSQL, go away and come back under write load: service resumes by itself
within seconds, no acknowledged write is lost, and while the database is down requests fail fast
with 503 SYSTEM_DATABASE_ERROR instead of hanging.

Redis is killed with SIGKILL and started again on the same port (no persistence: it comes back
empty). PostgreSQL is stopped with `pg_ctl stop -m fast` (ARCHON_CLUSTER_PG_STOP_MODE=immediate
makes it a crash) and started again as soon as the load has met the outage (at most OUTAGE_MAX
later): a restart with an outage long enough to observe, where a bare `pg_ctl restart` of a small
database can be over before a single request notices."""
from __future__ import annotations

import time

from cluster_harness import PG_STOP_MODE
from cluster_support import WriteLoad, all_user_emails, figure, summarize

FAIL_FAST = 6.0        # a request failing during an outage must fail within this
RECOVERY_BUDGET = 5.0  # requests must succeed again within this after the restart
SETTLE = 3.0           # failures are tolerated until this long after a restart completes
OUTAGE_MAX = 3.0


def test_redis_then_postgres_restart_under_load(up, admin):
    a, b, c = up.instances
    # Two threads through nginx, one going round the instances directly (its answers are the
    # instances' own, without the balancer's retries and 502s in between).
    load = WriteLoad([up.nginx, up.nginx, [a, b, c]]).start()
    direct, via_nginx = "w2", ("w0", "w1")
    ev: dict[str, float] = {}
    try:
        t_start = time.monotonic()
        assert load.wait_for_successes(6, after=t_start, timeout=20), f"load not flowing: {summarize(load.snapshot())}"

        ev["redis_kill"] = time.monotonic()
        up.redis.restart_hard()
        ev["redis_up"] = time.monotonic()
        load.wait_for_successes(3, after=ev["redis_up"], timeout=RECOVERY_BUDGET + 5)
        while time.monotonic() < ev["redis_up"] + SETTLE + 0.5:  # keep the two windows apart
            time.sleep(0.05)

        ev["pg_stop"] = time.monotonic()
        up.pg.stop(PG_STOP_MODE)
        ev["pg_down"] = time.monotonic()
        load.wait_for_failure(after=ev["pg_down"], timeout=OUTAGE_MAX, worker=direct)
        ev["pg_start"] = time.monotonic()
        up.pg.start()
        ev["pg_up"] = time.monotonic()
        load.wait_for_successes(3, after=ev["pg_up"], timeout=RECOVERY_BUDGET + 5)
        while time.monotonic() < ev["pg_up"] + SETTLE + 1.0:
            time.sleep(0.05)
    finally:
        outcomes = load.stop()
        up.ensure_all_up()

    def rel(t: float) -> str:
        return f"{t - ev['redis_kill']:+.2f}s"

    def recovery(after: float, workers) -> float | None:
        firsts = [o.t1 for o in outcomes if o.ok and o.t0 >= after and o.worker.startswith(workers)]
        return min(firsts) - after if firsts else None

    redis_window = (ev["redis_kill"], ev["redis_up"] + SETTLE)
    pg_window = (ev["pg_stop"], ev["pg_up"] + SETTLE)
    in_redis = [o for o in outcomes if o.t1 >= redis_window[0] and o.t0 <= redis_window[1]]
    in_pg = [o for o in outcomes if o.t1 >= pg_window[0] and o.t0 <= pg_window[1]]
    outside = [o for o in outcomes if o not in in_redis and o not in in_pg]
    rec = {
        "redis/nginx": recovery(ev["redis_up"], via_nginx), "redis/direct": recovery(ev["redis_up"], direct),
        "pg/nginx": recovery(ev["pg_up"], via_nginx), "pg/direct": recovery(ev["pg_up"], direct),
    }
    figure(f"{len(outcomes)} writes: {summarize(outcomes)}")
    figure(f"redis restart took {ev['redis_up'] - ev['redis_kill']:.2f}s; during/after it: {summarize(in_redis)}")
    figure(f"postgres stop (-m {PG_STOP_MODE}) {ev['pg_down'] - ev['pg_stop']:.2f}s, down {ev['pg_start'] - ev['pg_down']:.2f}s, "
           f"start {ev['pg_up'] - ev['pg_start']:.2f}s; during/after it: {summarize(in_pg)}")
    figure("first success after each restart completed: " +
           ", ".join(f"{k} {'never' if v is None else f'{v * 1000:.0f} ms'}" for k, v in rec.items()))
    for o in [o for o in outcomes if not o.ok][:12]:
        print(f"  failed at {rel(o.t0)}: {o.describe()}")

    problems = []
    problems += [f"failed outside the restart windows at {rel(o.t0)}: {o.describe()}" for o in outside if not o.ok]
    for name, v in rec.items():
        if v is None or v > RECOVERY_BUDGET:
            problems.append(f"{name}: no success within {RECOVERY_BUDGET}s of the restart ({v})")
    for o in in_redis + in_pg:
        if not o.ok and o.seconds > FAIL_FAST:
            problems.append(f"slow failure at {rel(o.t0)}: {o.describe()}")
    pg_failures = [o for o in in_pg if not o.ok]
    for o in pg_failures:
        if o.worker.startswith(direct):
            if (o.status, o.code) != (503, "SYSTEM_DATABASE_ERROR"):
                problems.append(f"database down, an instance answered otherwise than 503 SYSTEM_DATABASE_ERROR: "
                                f"{o.describe()}")
            elif not o.retry_after:
                problems.append(f"503 without Retry-After: {o.describe()}")
        elif (o.status, o.code) not in ((503, "SYSTEM_DATABASE_ERROR"), (502, None)):
            problems.append(f"database down, nginx answered: {o.describe()}")
    if not any(o.worker.startswith(direct) for o in pg_failures):
        problems.append("no direct request met the database outage: nothing shows requests fail fast")
    acked_while_down = [o for o in outcomes if o.ok and o.t0 >= ev["pg_down"] and o.t1 <= ev["pg_start"]]
    problems += [f"acknowledged while PostgreSQL was down: {o.describe()}" for o in acked_while_down]

    missing = {o.email for o in outcomes if o.ok} - all_user_emails(a, admin.access_token)
    if missing:
        problems.append(f"{len(missing)} acknowledged registrations lost: {sorted(missing)[:5]}")
    failed = [o for o in outcomes if not o.ok]
    if failed:
        present = all_user_emails(a, admin.access_token)
        figure(f"of {len(failed)} failed writes, {sum(o.email in present for o in failed)} were committed anyway")
    assert not problems, "\n".join(problems)
