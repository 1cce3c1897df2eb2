// The spec's React usage ("React Hook for Authentication"): AuthProvider, useAuth with the spec's
// fields, and a LoginForm written as the spec writes it, type-checked and rendered server-side.
import React, { useState } from 'react';
import { renderToString } from 'react-dom/server';
import { AuthProvider, useAuth, LoginForm as SdkLoginForm, RequireAuth } from '@archon/auth-react';

const LoginForm: React.FC = () => {
  const { login, isLoading, error } = useAuth();
  const [credentials, setCredentials] = useState({ email: '', password: '', rememberMe: false });
  const handleSubmit = async (e: React.FormEvent) => {
    e.preventDefault();
    try { await login(credentials); } catch (error) { /* Error is handled by context */ }
  };
  return (
    <form onSubmit={handleSubmit}>
      {error && <div className="error">{error}</div>}
      <input type="email" value={credentials.email} onChange={(e) => setCredentials({ ...credentials, email: e.target.value })} placeholder="Email" required />
      <input type="password" value={credentials.password} onChange={(e) => setCredentials({ ...credentials, password: e.target.value })} placeholder="Password" required />
      <button type="submit" disabled={isLoading}>{isLoading ? 'Logging in...' : 'Login'}</button>
    </form>
  );
};

const Everything: React.FC = () => {
  const { user, login, logout, register, authenticateAgent, isAuthenticated, isLoading, error } = useAuth();
  void [login, logout, register, authenticateAgent, isAuthenticated, isLoading, error];
  return <p>{user ? user.email : 'nobody'}</p>;
};

const html = renderToString(
  <AuthProvider baseURL="http://localhost:8181/api/v2">
    <LoginForm />
    <SdkLoginForm />
    <RequireAuth><Everything /></RequireAuth>
  </AuthProvider>,
);
if (!html.includes('Email')) throw new Error('the spec LoginForm did not render');
console.log('react usage rendered', html.length, 'bytes');
