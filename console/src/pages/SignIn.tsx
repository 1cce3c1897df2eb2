import { useId, useState, type FormEvent } from 'react';
import { useAuth } from '@archon/auth-react';
import { errorText } from '../api';

/** The normal login of archon-auth; the console then checks the account's permissions. */
export function SignInPage() {
  const { login, error: sessionError } = useAuth();
  const id = useId();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await login({ email, password });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card narrow" aria-labelledby={`${id}-h`}>
      <h1 id={`${id}-h`} tabIndex={-1}>Sign in</h1>
      <p>Sign in with an administrator's archon-auth account.</p>
      {sessionError && !error && <p className="notice" role="status">{sessionError}</p>}
      <form onSubmit={submit} className="stack">
        <label htmlFor={`${id}-email`}>Email</label>
        <input id={`${id}-email`} type="email" autoComplete="username" required value={email}
          onChange={(e) => setEmail(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={`${id}-err`} />
        <label htmlFor={`${id}-password`}>Password</label>
        <input id={`${id}-password`} type="password" autoComplete="current-password" required value={password}
          onChange={(e) => setPassword(e.target.value)} aria-invalid={error ? true : undefined} aria-describedby={`${id}-err`} />
        <button type="submit" disabled={busy} aria-busy={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        <p id={`${id}-err`} role="alert" className="error">{error}</p>
      </form>
    </section>
  );
}
