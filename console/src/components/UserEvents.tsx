import { useAuth } from '@archon/auth-react';
import { formatTime } from '../api';
import { href } from '../router';
import { Link } from './Link';
import { Status } from './Status';
import { useLoad } from './useLoad';

/**
 * The account's latest security events. The API has no admin view of another user's
 * /users/me/security-events, so this reads the audit trail filtered by user_id (audit:read).
 */
export function UserEvents({ userId, refreshKey }: { userId: string; refreshKey: string }) {
  const { client } = useAuth();
  const { data, error, loading } = useLoad(() => client.getAuditEvents({ userId, limit: 10 }), `${userId}:${refreshKey}`);
  return (
    <section className="card" aria-labelledby="events-h">
      <h2 id="events-h">Recent security events</h2>
      <Status loading={loading && !data} error={error} what="events" />
      {data && data.items.length === 0 && <p>No events.</p>}
      {data && data.items.length > 0 && (
        <ul className="events" data-testid="user-events">
          {data.items.map((e) => (
            <li key={e.seq}><code>{e.event}</code> {e.outcome} <span className="muted">{formatTime(e.at)} · {e.clientAddress}</span></li>
          ))}
        </ul>
      )}
      <p><Link href={href('/audit', { user_id: userId })}>All audit events of this account</Link></p>
    </section>
  );
}
