import { useEffect, useState } from 'react';
import { useAuth } from '@archon/auth-react';
import type { ArchonAuthError } from '@archon/auth-client';

/** What the many-tabs test reads: every outcome application code saw, and this tab's refreshes. */
export interface MonitorStats { ok: number; failures: { status: number; code: string; at: number }[]; refreshesSent: number; events: string[] }

/** Calls /users/me every second, as an app would, and records what reached application code. */
export function MonitorPage() {
  const { client } = useAuth();
  const [stats, setStats] = useState<MonitorStats>({ ok: 0, failures: [], refreshesSent: 0, events: [] });
  useEffect(() => {
    const s: MonitorStats = { ok: 0, failures: [], refreshesSent: 0, events: [] };
    (window as unknown as { monitor: MonitorStats }).monitor = s;
    const off = client.onAuthStateChange((e) => s.events.push(e));
    const tick = setInterval(() => {
      client.getCurrentUser().then(() => { s.ok++; }, (e: ArchonAuthError) => { s.failures.push({ status: e.status, code: e.code, at: Date.now() }); })
        .finally(() => { s.refreshesSent = client.refreshCount; setStats({ ...s }); });
    }, 1000);
    return () => { clearInterval(tick); off(); };
  }, [client]);
  return (
    <section>
      <h1>Session monitor</h1>
      <p role="status">ok {stats.ok} · failures {stats.failures.length} · refreshes sent by this tab {stats.refreshesSent}</p>
    </section>
  );
}
