import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';

// One polite live region for the outcome of every async action (saved, revoked, failed...).
const AnnounceContext = createContext<(message: string) => void>(() => {});

export function AnnouncerProvider({ children }: { children: ReactNode }) {
  const [message, setMessage] = useState('');
  const announce = useCallback((m: string) => {
    // Clear first so that the same message twice is read twice.
    setMessage('');
    window.setTimeout(() => setMessage(m), 50);
  }, []);
  return (
    <AnnounceContext.Provider value={announce}>
      {children}
      <div className="visually-hidden" role="status" aria-live="polite" data-testid="announcer">{message}</div>
    </AnnounceContext.Provider>
  );
}

export function useAnnounce(): (message: string) => void {
  return useContext(AnnounceContext);
}
