import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ArchonAuthClient } from '@archon/auth-client';
import { AuthProvider } from '@archon/auth-react';
import { App } from './App';
import { AnnouncerProvider } from './components/Announcer';
import './style.css';

// Same origin as the API: the refresh token stays in archon-auth's httpOnly cookie, the access
// token in memory (the SDK's session). The console stores nothing else.
const client = new ArchonAuthClient({ baseURL: `${window.location.origin}/api/v2` });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AuthProvider client={client}>
      <AnnouncerProvider>
        <App />
      </AnnouncerProvider>
    </AuthProvider>
  </StrictMode>,
);
