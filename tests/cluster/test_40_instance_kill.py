"""SIGKILL of one instance under write load: nothing acknowledged is lost and nginx keeps
serving with the two that are left."""
from __future__ import annotations

import time

from cluster_support import (PASSWORD, USERS, User, WriteLoad, all_user_emails, client, data_of, figure, login,
                             summarize)

GRACE = 0.5          # requests sent this long after the kill may still fail (nginx learning)
AFTER_KILL = 2.5     # seconds of load after the kill
THREADS = 3


def test_sigkill_one_instance_under_load(up, admin):
    victim = up.instances[1]
    survivors = [up.instances[0], up.instances[2]]
    victim_addr = f"127.0.0.1:{victim.port}"
    load = WriteLoad([up.nginx] * THREADS).start()
    try:
        # Load is flowing (a second of it at least) and instance 2 takes its share of it.
        t_start = time.monotonic()
        while not (time.monotonic() > t_start + 1.0 and
                   any(o.ok and o.upstream == victim_addr for o in load.snapshot())):
            assert time.monotonic() < t_start + 20, f"no write reached {victim.name}: {summarize(load.snapshot())}"
            time.sleep(0.02)
        t_kill = time.monotonic()
        victim.kill()
        t_killed = time.monotonic()
        assert load.wait_for_successes(THREADS, after=t_killed, timeout=15) is not None, \
            f"no write succeeded through nginx after the kill: {summarize(load.snapshot())}"
        while time.monotonic() < t_killed + AFTER_KILL:
            time.sleep(0.05)
    finally:
        outcomes = load.stop()
        if not victim.alive():
            victim.start()  # the other tests want three instances

    before = [o for o in outcomes if o.t1 < t_kill]
    around = [o for o in outcomes if o.t1 >= t_kill and o.t0 <= t_killed + GRACE]
    after = [o for o in outcomes if o.t0 > t_killed + GRACE]
    failed = [o for o in outcomes if not o.ok]
    ok = [o for o in outcomes if o.ok]
    figure(f"{len(outcomes)} writes: {summarize(outcomes)}; before the kill {len(before)}, "
           f"around it {len(around)} ({sum(not o.ok for o in around)} failed), after it {len(after)} "
           f"({sum(not o.ok for o in after)} failed)")
    for o in failed[:10]:
        print("  failed:", o.describe())

    assert all(o.ok for o in before), f"writes failed before the kill: {[o.describe() for o in before if not o.ok][:5]}"
    bad_after = [o.describe() for o in after if not o.ok]
    assert not bad_after, f"writes sent more than {GRACE}s after the kill failed: {bad_after[:10]}"
    assert len(after) >= THREADS, f"too few writes after the kill to tell: {len(after)}"
    assert not any(o.upstream == victim_addr for o in after if o.ok), "a killed instance answered"

    # Every acknowledged registration is in the database, as seen from each survivor.
    for inst in survivors:
        missing = {o.email for o in ok} - all_user_emails(inst, admin.access_token)
        assert not missing, f"{len(missing)} acknowledged registrations missing via {inst.name}: {sorted(missing)[:5]}"
    if failed:  # their outcome was unknown to the client: report what became of them
        present = all_user_emails(survivors[0], admin.access_token)
        figure(f"of {len(failed)} failed writes, {sum(o.email in present for o in failed)} were committed anyway")

    # The last write acknowledged before the kill is a complete account: it can log in (at the
    # restarted instance), and the restarted instance lists it.
    last = max((o for o in ok if o.t1 < t_kill), key=lambda o: o.t1)
    user = User(last.email, PASSWORD)
    login(victim, user, up.next_ip())
    with client(victim) as c:
        found = data_of(c.get(USERS, token=admin.access_token, params={"q": last.email}))
    assert [u["email"] for u in found] == [last.email], found
