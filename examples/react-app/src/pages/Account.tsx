import { useEffect, useRef, useState, type FormEvent } from 'react';
import { LoginForm, useAuth } from '@archon/auth-react';
import { go, useRoute } from '../router';

export function RegisterPage() {
  const { register, error, isLoading } = useAuth();
  const [form, setForm] = useState({ name: '', email: '', password: '', terms: false });
  const [done, setDone] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await register({ name: form.name, email: form.email, password: form.password, termsAccepted: true });
      setDone(form.email);
    } catch { /* shown from the context */ }
  };

  if (done) {
    return (
      <section>
        <h1>Check your mail</h1>
        <p className="ok" role="status">We sent a verification link to {done}.</p>
        <p>In development the mail lands in archon-auth's mail folder: open the <a href="#/mail">dev mailbox</a>.</p>
      </section>
    );
  }
  return (
    <section>
      <h1>Create an account</h1>
      <form onSubmit={submit}>
        <div role="alert" className="error">{error ?? ''}</div>
        <label htmlFor="reg-name">Name</label>
        <input id="reg-name" type="text" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        <label htmlFor="reg-email">Email</label>
        <input id="reg-email" type="email" required autoComplete="username" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        <label htmlFor="reg-password">Password (at least 12 characters)</label>
        <input id="reg-password" type="password" required minLength={12} autoComplete="new-password" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
        <label><input type="checkbox" required checked={form.terms} onChange={(e) => setForm({ ...form, terms: e.target.checked })} /> I accept the terms</label>
        <button type="submit" disabled={isLoading || !form.terms}>Register</button>
      </form>
    </section>
  );
}

interface DevMail { to: string; subject: string; kind: 'verify' | 'reset'; link: string }

export function MailPage() {
  const [mail, setMail] = useState<DevMail[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    fetch('/dev/mail').then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
      .then(setMail, (e: Error) => setProblem(`The dev mailbox is not available (${e.message}).`));
  }, []);
  return (
    <section>
      <h1>Dev mailbox</h1>
      <p>Mail archon-auth wrote to its mail folder (development only).</p>
      {problem && <p role="alert">{problem}</p>}
      {mail?.length === 0 && <p>No mail yet.</p>}
      <ul>
        {mail?.map((m) => (
          <li key={m.link}>{m.to}: {m.subject} — <a href={m.link}>{m.kind === 'verify' ? 'Open verification link' : 'Open reset link'}</a></li>
        ))}
      </ul>
    </section>
  );
}

export function VerifyPage() {
  const { client } = useAuth();
  const { params } = useRoute();
  const token = params.get('token');
  const [state, setState] = useState<'working' | 'verified' | string>('working');
  // A verification token works once: StrictMode's second effect run must reuse the first attempt.
  const attempt = useRef<{ token: string; done: Promise<unknown> } | null>(null);
  useEffect(() => {
    if (!token) { setState('The link has no token.'); return; }
    if (attempt.current?.token !== token) attempt.current = { token, done: client.verifyEmail(token) };
    let live = true;
    attempt.current.done.then(() => live && setState('verified'), (e: Error) => live && setState(e.message));
    return () => { live = false; };
  }, [client, token]);
  return (
    <section>
      <h1>Email verification</h1>
      {state === 'working' && <p role="status">Verifying...</p>}
      {state === 'verified' && <p className="ok" role="status">Your email is verified. <a href="#/login">Log in</a>.</p>}
      {state !== 'working' && state !== 'verified' && <p role="alert">{state}</p>}
    </section>
  );
}

export function LoginPage() {
  const { isAuthenticated } = useAuth();
  useEffect(() => { if (isAuthenticated) go('/profile'); }, [isAuthenticated]);
  return (
    <section>
      <h1>Log in</h1>
      <LoginForm onSuccess={() => go('/profile')} />
      <p>No account? <a href="#/register">Register</a>.</p>
    </section>
  );
}
