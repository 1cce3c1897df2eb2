import { useAuth } from '@archon/auth-react';

/** A signed-in account without any administrative permission: no admin data, no admin calls. */
export function NoAccessPage() {
  const { user, logout } = useAuth();
  return (
    <section className="card narrow" data-testid="no-access">
      <h1 tabIndex={-1}>No access</h1>
      <p>The account <strong>{user?.email}</strong> has no administrative permission, so the console has nothing to show it.
        Ask an administrator, or sign in with another account.</p>
      <button type="button" onClick={() => void logout()}>Sign out</button>
    </section>
  );
}
