import { useAuth, RequireAuth } from '@archon/auth-react';
import { useRoute, go } from './router';
import { LoginPage, MailPage, RegisterPage, VerifyPage } from './pages/Account';
import { ProfilePage, SessionsPage } from './pages/Profile';
import { AgentsPage } from './pages/Agents';
import { MonitorPage } from './pages/Monitor';

function Nav() {
  const { isAuthenticated, user, logout } = useAuth();
  return (
    <header>
      <strong>archon-auth example</strong>
      <nav aria-label="Main">
        {isAuthenticated ? (
          <>
            <a href="#/profile">Profile</a> · <a href="#/sessions">Sessions</a> · <a href="#/agents">Agents</a>
          </>
        ) : (
          <>
            <a href="#/register">Register</a> · <a href="#/login">Log in</a> · <a href="#/mail">Dev mailbox</a>
          </>
        )}
      </nav>
      <span className="spacer" />
      {isAuthenticated && (
        <>
          <span data-testid="whoami">{user?.email}</span>
          <button onClick={async () => { await logout(); go('/login'); }}>Log out</button>
        </>
      )}
    </header>
  );
}

function Page() {
  const { path } = useRoute();
  switch (path) {
    case '/register': return <RegisterPage />;
    case '/mail': return <MailPage />;
    case '/verify': return <VerifyPage />;
    case '/profile': return <RequireAuth fallback={<LoginPage />}><ProfilePage /></RequireAuth>;
    case '/sessions': return <RequireAuth fallback={<LoginPage />}><SessionsPage /></RequireAuth>;
    case '/agents': return <RequireAuth fallback={<LoginPage />}><AgentsPage /></RequireAuth>;
    case '/monitor': return <RequireAuth fallback={<LoginPage />}><MonitorPage /></RequireAuth>;
    default: return <LoginPage />;
  }
}

export function App() {
  return (
    <>
      <Nav />
      <main><Page /></main>
    </>
  );
}
