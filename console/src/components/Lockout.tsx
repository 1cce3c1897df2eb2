import { useState } from 'react';
import { useAuth } from '@archon/auth-react';
import { adminApi } from '../admin-api';
import { errorText, formatTime } from '../api';
import { Status } from './Status';
import { useAnnounce } from './Announcer';
import { useLoad } from './useLoad';

/**
 * GET /users/{id}/lockout: whether failed logins locked the account (account-wide, or for some
 * client addresses) and until when; "Unlock" (DELETE, users:write) clears it all at once.
 */
export function Lockout({ userId, email, canEdit, onChanged }: { userId: string; email: string; canEdit: boolean; onChanged: () => void }) {
  const { client } = useAuth();
  const announce = useAnnounce();
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const { data, error: loadError, loading, reload } = useLoad(() => adminApi.getLockout(client, userId), userId);
  const unlock = async () => {
    setBusy(true);
    setError('');
    try {
      await adminApi.unlock(client, userId);
      announce(`${email} unlocked: failed logins cleared`);
      reload();
      onChanged();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const anything = !!data && (data.locked || data.lockedAddresses > 0 || data.accountFailures > 0);
  return (
    <section className="card" aria-labelledby="lockout-h">
      <h2 id="lockout-h">Sign-in lockout</h2>
      <Status loading={loading && !data} error={loadError} what="the lockout state" />
      {data && (
        <dl className="facts" data-testid="lockout">
          <dt>Locked</dt>
          <dd data-testid="lockout-state">{data.locked ? <strong className="error">locked</strong> : 'not locked'}</dd>
          <dt>Until</dt><dd>{data.locked ? formatTime(data.lockedUntil) : '—'}</dd>
          <dt>Locked addresses</dt><dd>{data.lockedAddresses}</dd>
          <dt>Recent failed logins</dt><dd data-testid="lockout-failures">{data.accountFailures}</dd>
        </dl>
      )}
      <div className="row">
        {canEdit && anything && <button type="button" disabled={busy} onClick={() => void unlock()}>Unlock and clear failures</button>}
        <button type="button" onClick={reload}>Refresh lockout state</button>
      </div>
      <p role="alert" className="error">{error}</p>
    </section>
  );
}
