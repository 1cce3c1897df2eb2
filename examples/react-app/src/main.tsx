import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ArchonAuthClient } from '@archon/auth-client';
import { AuthProvider } from '@archon/auth-react';
import { App } from './App';

// Same origin: the app server proxies /api to archon-auth, so the refresh cookie is first-party.
// `?expiryMargin=N` (tests) treats tokens as stale N seconds early, to shorten the refresh window.
const margin = new URLSearchParams(window.location.search).get('expiryMargin');
const client = new ArchonAuthClient({
  baseURL: `${window.location.origin}/api/v2`,
  expiryMarginSeconds: margin === null ? undefined : Number(margin),
});
(window as unknown as { archonClient: ArchonAuthClient }).archonClient = client;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AuthProvider client={client}>
      <App />
    </AuthProvider>
  </StrictMode>,
);
