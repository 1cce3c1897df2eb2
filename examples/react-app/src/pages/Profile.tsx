import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useAuth } from '@archon/auth-react';
import type { SessionInfo } from '@archon/auth-client';

export function ProfilePage() {
  const { user, client, refreshUser } = useAuth();
  const [name, setName] = useState(user?.name ?? '');
  const [status, setStatus] = useState<string | null>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await client.updateProfile({ name });
      await refreshUser();
      setStatus('Profile saved.');
    } catch (err) {
      setStatus(`Not saved: ${(err as Error).message}`);
    }
  };
  if (!user) return null;
  return (
    <section>
      <h1>Profile</h1>
      <table>
        <tbody>
          <tr><th>Name</th><td data-testid="profile-name">{user.name}</td></tr>
          <tr><th>Email</th><td>{user.email} {user.emailVerified ? '(verified)' : '(not verified)'}</td></tr>
          <tr><th>Roles</th><td>{user.roles.join(', ')}</td></tr>
          <tr><th>Member since</th><td>{user.createdAt}</td></tr>
        </tbody>
      </table>
      <h2>Edit</h2>
      <form onSubmit={save}>
        <label htmlFor="profile-name-input">Display name</label>
        <input id="profile-name-input" type="text" value={name} onChange={(e) => setName(e.target.value)} required />
        <button type="submit">Save</button>
        <div role="status">{status ?? ''}</div>
      </form>
    </section>
  );
}

export function SessionsPage() {
  const { client } = useAuth();
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const load = useCallback(() => client.getSessions().then(setSessions, (e: Error) => setProblem(e.message)), [client]);
  useEffect(() => { void load(); }, [load]);
  const revoke = async (id: string) => {
    try { await client.terminateSession(id); await load(); } catch (e) { setProblem((e as Error).message); }
  };
  return (
    <section>
      <h1>Sessions</h1>
      {problem && <p role="alert">{problem}</p>}
      <table aria-label="Sessions">
        <thead><tr><th>Session</th><th>Client</th><th>Started</th><th>Last used</th><th /></tr></thead>
        <tbody>
          {sessions?.map((s) => (
            <tr key={s.sessionId} data-testid="session-row">
              <td><code>{s.sessionId.slice(0, 12)}…</code>{s.current ? ' (this one)' : ''}</td>
              <td>{s.userAgent ?? ''}</td>
              <td>{s.createdAt}</td>
              <td>{s.lastAccessed}</td>
              <td>{!s.current && <button onClick={() => void revoke(s.sessionId)}>Revoke</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
