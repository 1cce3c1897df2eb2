import { useId, useState, type FormEvent } from 'react';
import { useAuth } from '@archon/auth-react';
import type { SessionInfo, User } from '@archon/auth-client';
import { errorText, formatTime } from '../api';
import { accessOf, ROLES } from '../access';
import { href } from '../router';
import { adminApi } from '../admin-api';
import { ConfirmButton } from '../components/ConfirmButton';
import { Link } from '../components/Link';
import { Lockout } from '../components/Lockout';
import { Status } from '../components/Status';
import { TableWrap } from '../components/TableWrap';
import { useAnnounce } from '../components/Announcer';
import { useLoad } from '../components/useLoad';
import { UserEvents } from '../components/UserEvents';

function RolesForm({ user, onSaved, canEdit }: { user: User; onSaved: (u: User) => void; canEdit: boolean }) {
  const { client } = useAuth();
  const announce = useAnnounce();
  const [roles, setRoles] = useState<string[]>(user.roles);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const toggle = (r: string, on: boolean) => setRoles(on ? [...roles.filter((x) => x !== r), r] : roles.filter((x) => x !== r));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const saved = await client.updateUser(user.id, { roles: ROLES.filter((r) => roles.includes(r)) });
      onSaved(saved);
      announce(`Roles of ${saved.email} saved: ${saved.roles.join(', ')}`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit}>
      <fieldset disabled={!canEdit || busy}>
        <legend>Roles</legend>
        {ROLES.map((r) => (
          <label key={r} className="check">
            <input type="checkbox" checked={roles.includes(r)} onChange={(e) => toggle(r, e.target.checked)} /> {r}
          </label>
        ))}
        <button type="submit">Save roles</button>
      </fieldset>
      <p role="alert" className="error">{error}</p>
    </form>
  );
}

function ActiveToggle({ user, onChanged, canEdit }: { user: User; onChanged: () => void; canEdit: boolean }) {
  const { client } = useAuth();
  const announce = useAnnounce();
  const [error, setError] = useState('');
  const flip = async () => {
    setError('');
    try {
      if (user.isActive) await client.deactivateUser(user.id);
      else await client.updateUser(user.id, { isActive: true });
      announce(user.isActive ? `${user.email} deactivated; their sessions are revoked` : `${user.email} reactivated`);
      onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div>
      <button type="button" className={user.isActive ? 'danger' : ''} disabled={!canEdit} onClick={() => void flip()}>
        {user.isActive ? 'Deactivate account' : 'Reactivate account'}
      </button>
      <p role="alert" className="error">{error}</p>
    </div>
  );
}

/** POST /users/{id}/password-reset: the server mails the account its single-use reset link. */
function ResetLink({ user }: { user: User }) {
  const { client } = useAuth();
  const announce = useAnnounce();
  const [error, setError] = useState('');
  const send = async () => {
    setError('');
    try {
      await adminApi.sendPasswordReset(client, user.id);
      announce(`Password-reset link sent to ${user.email}`);
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div>
      <ConfirmButton label="Send password-reset link" question={`Mail a single-use password-reset link to ${user.email}?`}
        confirmLabel="Yes, send it" disabled={!user.isActive} onConfirm={send} />
      <p role="alert" className="error">{error}</p>
    </div>
  );
}

function Sessions({ userId, canEdit, onChanged }: { userId: string; canEdit: boolean; onChanged: () => void }) {
  const { client } = useAuth();
  const announce = useAnnounce();
  const [error, setError] = useState('');
  const { data, error: loadError, loading, reload } = useLoad(() => client.getUserSessions(userId), userId);
  const revoke = async (s: SessionInfo) => {
    setError('');
    try {
      await client.terminateUserSession(userId, s.sessionId);
      announce(`Session ${s.sessionId} revoked`);
      reload();
      onChanged();
    } catch (err) {
      setError(errorText(err));
    }
  };
  // DELETE /users/{id}/sessions: every live session at once; their access tokens die with them.
  const signOutEverywhere = async () => {
    setError('');
    try {
      const { revokedSessions } = await adminApi.revokeAllSessions(client, userId);
      announce(`Signed out everywhere: ${revokedSessions} session(s) revoked`);
    } catch (err) {
      setError(errorText(err));
    }
    reload();
    onChanged();
  };
  return (
    <section className="card" aria-labelledby="sessions-h">
      <h2 id="sessions-h">Sessions</h2>
      {canEdit && data && data.length > 0 && (
        <div className="row">
          <ConfirmButton label="Sign out everywhere" question={`Revoke all ${data.length} session(s) of this account?`}
            confirmLabel="Yes, sign out everywhere" onConfirm={signOutEverywhere} />
        </div>
      )}
      <Status loading={loading && !data} error={loadError} what="sessions" />
      <p role="alert" className="error">{error}</p>
      {data && data.length === 0 && <p>No live sessions.</p>}
      {data && data.length > 0 && (
        <TableWrap label="Sessions table">
          <table className="stacked">
            <thead><tr><th scope="col">Session</th><th scope="col">Started</th><th scope="col">Last used</th><th scope="col">Client</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {data.map((s) => (
                <tr key={s.sessionId} data-testid="session-row" data-session-id={s.sessionId}>
                  <td data-label="Session"><code>{s.sessionId}</code></td>
                  <td data-label="Started">{formatTime(s.createdAt)}</td>
                  <td data-label="Last used">{formatTime(s.lastAccessed)}</td>
                  <td data-label="Client">{[s.clientAddress, s.userAgent].filter(Boolean).join(' · ') || '—'}</td>
                  <td data-label="Action"><button type="button" disabled={!canEdit} aria-label={`Revoke session ${s.sessionId}`} onClick={() => void revoke(s)}>Revoke</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}

export function UserDetailPage({ userId }: { userId: string }) {
  const { client, user: me } = useAuth();
  const canEdit = accessOf(me).editUsers;
  const canAudit = accessOf(me).audit;
  const [version, setVersion] = useState(0); // bumped by every change, to re-read the events
  const id = useId();
  const { data, error, loading, reload } = useLoad(() => client.getUser(userId), userId);
  const [saved, setSaved] = useState<User | null>(null);
  const user = saved && saved.id === userId ? saved : data;
  return (
    <>
      <p><Link href={href('/users')}>← All users</Link></p>
      <h1 tabIndex={-1}>{user ? user.email : 'User'}</h1>
      <Status loading={loading && !user} error={error} what="the user" />
      {user && (
        <>
          <section className="card" aria-labelledby={`${id}-p`}>
            <h2 id={`${id}-p`}>Account</h2>
            <dl className="facts">
              <dt>Name</dt><dd>{user.name}</dd>
              <dt>ID</dt><dd><code>{user.id}</code></dd>
              <dt>Status</dt><dd data-testid="user-status">{user.isActive ? 'active' : 'deactivated'}</dd>
              <dt>Email verified</dt><dd>{user.emailVerified ? 'yes' : 'no'}</dd>
              <dt>Roles</dt><dd data-testid="user-roles">{user.roles.join(', ')}</dd>
              <dt>Permissions</dt><dd>{user.permissions.join(', ')}</dd>
              <dt>Created</dt><dd>{formatTime(user.createdAt)}</dd>
              <dt>Last login</dt><dd>{formatTime(user.lastLogin)}</dd>
            </dl>
          </section>
          <section className="card" aria-labelledby={`${id}-r`}>
            <h2 id={`${id}-r`}>Roles and status</h2>
            <RolesForm key={user.roles.join()} user={user} canEdit={canEdit} onSaved={setSaved} />
            <div className="row">
              <ActiveToggle user={user} canEdit={canEdit} onChanged={() => { setSaved(null); reload(); }} />
              {canEdit && <ResetLink user={user} />}
            </div>
          </section>
          <Lockout userId={user.id} email={user.email} canEdit={canEdit} onChanged={() => setVersion((v) => v + 1)} />
          <Sessions key={String(user.isActive)} userId={user.id} canEdit={canEdit} onChanged={() => setVersion((v) => v + 1)} />
          {canAudit && <UserEvents userId={user.id} refreshKey={`${version}:${user.isActive}:${user.roles.join()}`} />}
        </>
      )}
    </>
  );
}
