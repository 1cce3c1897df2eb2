import { useEffect, useRef, type MouseEvent } from 'react';
import { useAuth } from '@archon/auth-react';
import { accessOf, type Access } from './access';
import { href, useRoute, type Route } from './router';
import { Link } from './components/Link';
import { SignInPage } from './pages/SignIn';
import { NoAccessPage } from './pages/NoAccess';
import { OverviewPage } from './pages/Overview';
import { UsersPage } from './pages/Users';
import { UserDetailPage } from './pages/UserDetail';
import { AgentTokensPage } from './pages/AgentTokens';
import { AllAgentTokensPage } from './pages/AllAgentTokens';
import { GrantsPage } from './pages/Grants';
import { CatalogPage } from './pages/Catalog';
import { AuditPage } from './pages/Audit';
import { ApiKeysPage } from './pages/ApiKeys';
import { WebhooksPage } from './pages/Webhooks';
import { WebhookDetailPage } from './pages/WebhookDetail';

interface NavItem { path: string; label: string; allowed: (a: Access) => boolean }

const NAV: NavItem[] = [
  { path: '/', label: 'Overview', allowed: (a) => a.any },
  { path: '/users', label: 'Users', allowed: (a) => a.users },
  { path: '/agents', label: 'Agents', allowed: (a) => a.any },
  { path: '/audit', label: 'Audit', allowed: (a) => a.audit },
  { path: '/api-keys', label: 'API keys', allowed: (a) => a.apiKeys },
  { path: '/webhooks', label: 'Webhooks', allowed: (a) => a.webhooks },
];

function isCurrent(item: string, path: string): boolean {
  return item === '/' ? path === '/' : path === item || path.startsWith(`${item}/`);
}

function Header({ access, path }: { access: Access; path: string }) {
  const { user, isAuthenticated, logout } = useAuth();
  return (
    <header className="topbar">
      <span className="brand">archon-auth console</span>
      {isAuthenticated && access.any && (
        <nav aria-label="Console sections">
          <ul className="nav-list">
            {NAV.filter((n) => n.allowed(access)).map((n) => (
              <li key={n.path}>
                <Link href={href(n.path)} aria-current={isCurrent(n.path, path) ? 'page' : undefined}>{n.label}</Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
      {isAuthenticated && (
        <div className="who">
          <span data-testid="whoami">{user?.email}</span>
          <button type="button" onClick={() => void logout()}>Sign out</button>
        </div>
      )}
    </header>
  );
}

function Page({ route, access }: { route: Route; access: Access }) {
  const { path, params } = route;
  const user = /^\/users\/([^/]+)$/.exec(path);
  if (user && access.users) return <UserDetailPage userId={decodeURIComponent(user[1]!)} />;
  const webhook = /^\/webhooks\/([^/]+)$/.exec(path);
  if (webhook) return access.webhooks ? <WebhookDetailPage webhookId={decodeURIComponent(webhook[1]!)} params={params} /> : <NoAccessPage />;
  switch (path) {
    case '/users': return access.users ? <UsersPage params={params} /> : <NoAccessPage />;
    case '/agents': return <AgentTokensPage />;
    case '/agents/all': return access.users ? <AllAgentTokensPage params={params} /> : <NoAccessPage />;
    case '/agents/grants': return access.grants ? <GrantsPage params={params} /> : <NoAccessPage />;
    case '/agents/catalog': return <CatalogPage />;
    case '/audit': return access.audit ? <AuditPage params={params} /> : <NoAccessPage />;
    case '/api-keys': return access.apiKeys ? <ApiKeysPage params={params} /> : <NoAccessPage />;
    case '/webhooks': return access.webhooks ? <WebhooksPage params={params} /> : <NoAccessPage />;
    case '/': return <OverviewPage params={params} />;
    default: return <NotFound />;
  }
}

function NotFound() {
  return <><h1 tabIndex={-1}>Not found</h1><p>No console page at this address. <Link href={href('/')}>Overview</Link></p></>;
}

function Body({ route, access }: { route: Route; access: Access }) {
  const { isReady, isAuthenticated, user } = useAuth();
  if (!isReady || (isAuthenticated && !user)) return <p role="status">Loading…</p>;
  if (!isAuthenticated) return <SignInPage />;
  if (!access.any) return <NoAccessPage />;
  return <Page route={route} access={access} />;
}

/** Moves focus to the new page's heading after a client-side navigation (not on first load). */
function useFocusOnNavigate(key: string) {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) { first.current = false; return; }
    const h1 = document.querySelector<HTMLElement>('main h1');
    h1?.focus();
  }, [key]);
}

/** The skip link moves focus itself: following "#main" would change the route (the fragment). */
function SkipLink() {
  const skip = (e: MouseEvent<HTMLAnchorElement>) => {
    e.preventDefault();
    document.getElementById('main')?.focus();
  };
  return <a className="skip-link" href="#main" onClick={skip}>Skip to main content</a>;
}

export function App() {
  const route = useRoute();
  const { user } = useAuth();
  const access = accessOf(user);
  useFocusOnNavigate(route.path);
  return (
    <>
      <SkipLink />
      <Header access={access} path={route.path} />
      <main id="main" tabIndex={-1}>
        <Body route={route} access={access} />
      </main>
    </>
  );
}
