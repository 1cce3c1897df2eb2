// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { ArchonAuthClient } from '@archon/auth-client';
import { AuthProvider, LoginForm, RequireAuth, useAuth } from '@archon/auth-react';
import { failure, fakeFetch, loginAnswer, USER, envelope } from './fake.js';

afterEach(cleanup);

function makeClient(handler: Parameters<typeof fakeFetch>[0]) {
  const f = fakeFetch(handler);
  return { f, client: new ArchonAuthClient({ baseURL: 'http://auth.test', fetch: f.fetch, refreshTokenMode: 'body', retries: 0 }) };
}

function Profile() {
  const { user, logout } = useAuth();
  return <div><p>Signed in as {user?.email}</p><button onClick={() => void logout()}>Log out</button></div>;
}

describe('React bindings', () => {
  it('RequireAuth shows the accessible LoginForm, announces errors, then the protected content', async () => {
    let attempts = 0;
    const { client } = makeClient((req) => {
      if (req.path.endsWith('/login')) return ++attempts === 1 ? failure(401, 'AUTH_INVALID_CREDENTIALS', { attempts_remaining: 4 }) : loginAnswer();
      if (req.path.endsWith('/logout')) return envelope({ revoked_sessions: 1 });
      return envelope(USER);
    });
    render(<AuthProvider client={client}><RequireAuth><Profile /></RequireAuth></AuthProvider>);
    const email = await screen.findByLabelText('Email');
    fireEvent.change(email, { target: { value: 'a@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong one' } });
    fireEvent.click(screen.getByRole('button', { name: 'Login' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('AUTH_INVALID_CREDENTIALS happened'));
    expect(screen.getByLabelText('Email').getAttribute('aria-invalid')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: 'Login' }));
    expect(await screen.findByText('Signed in as a@example.com')).toBeTruthy();
    await act(async () => { fireEvent.click(screen.getByRole('button', { name: 'Log out' })); });
    expect(await screen.findByLabelText('Email')).toBeTruthy();
  });

  it('creates one client per provider, not one per render', async () => {
    const seen = new Set<unknown>();
    function Spy() { const { client } = useAuth(); seen.add(client); return null; }
    const { rerender } = render(<AuthProvider baseURL="http://auth.test/api/v2"><Spy /></AuthProvider>);
    rerender(<AuthProvider baseURL="http://auth.test/api/v2"><Spy /></AuthProvider>);
    rerender(<AuthProvider baseURL="http://auth.test/api/v2"><Spy /></AuthProvider>);
    expect(seen.size).toBe(1);
  });

  it('useAuth outside a provider says so', () => {
    function Bare() { useAuth(); return null; }
    expect(() => render(<Bare />)).toThrow('useAuth must be used within an AuthProvider');
  });
});

describe('LoginForm', () => {
  it('labels every field', async () => {
    const { client } = makeClient(() => envelope(USER));
    render(<AuthProvider client={client}><LoginForm /></AuthProvider>);
    for (const name of ['Email', 'Password', 'Remember me']) expect(screen.getByLabelText(name)).toBeTruthy();
  });
});
