import { createContext, useCallback, useContext, useEffect, useId, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import ArchonAuthClient, {
  type AgentAuth, type AuthConfig, type LoginCredentials, type RegisterData, type RegisterResult, type User,
} from '@archon/auth-client';

export type { AgentAuth, LoginCredentials, RegisterData, User } from '@archon/auth-client';

/** The spec's AuthContextType, plus the client itself for everything else it can do. */
export interface AuthContextType {
  user: User | null;
  login: (credentials: LoginCredentials) => Promise<void>;
  logout: () => Promise<void>;
  register: (userData: RegisterData) => Promise<RegisterResult>;
  authenticateAgent: (agentType: string, capabilities: string[], taskContext?: Record<string, unknown>) => Promise<AgentAuth>;
  isAuthenticated: boolean;
  isLoading: boolean;
  error: string | null;
  /** False until the session has been restored (or found absent) after mounting. */
  isReady: boolean;
  /** Re-reads the profile (after an edit). */
  refreshUser: () => Promise<void>;
  client: ArchonAuthClient;
}

const AuthContext = createContext<AuthContextType | undefined>(undefined);

export const DEFAULT_BASE_URL = 'http://localhost:8181/api/v2';

export interface AuthProviderProps {
  children: ReactNode;
  /** A client of your own; otherwise one is made from `config` (or `baseURL`), once per provider. */
  client?: ArchonAuthClient;
  config?: AuthConfig;
  baseURL?: string;
}

function messageOf(e: unknown, fallback: string): string {
  return e instanceof Error && e.message ? e.message : fallback;
}

export function AuthProvider({ children, client: given, config, baseURL }: AuthProviderProps) {
  // Created once (the spec's sketch made a new client, and lost its tokens, on every render).
  const [client] = useState(() => given ?? new ArchonAuthClient(config ?? { baseURL: baseURL ?? DEFAULT_BASE_URL }));
  const [user, setUser] = useState<User | null>(null);
  const [signedIn, setSignedIn] = useState(false);
  const [isLoading, setIsLoading] = useState(true);
  const [isReady, setIsReady] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);

  const loadUser = useCallback(async () => {
    try {
      const me = await client.getCurrentUser();
      if (mounted.current) setUser(me);
    } catch (e) {
      if (mounted.current) setError(messageOf(e, 'Could not load the profile'));
    }
  }, [client]);

  useEffect(() => {
    mounted.current = true;
    const off = client.onAuthStateChange((event, session) => {
      setSignedIn(!!session);
      if (event === 'INITIAL_SESSION') {
        const done = () => { if (mounted.current) { setIsLoading(false); setIsReady(true); } };
        if (session) void loadUser().finally(done);
        else done();
      } else if (event === 'SIGNED_IN') {
        if (session?.user) setUser(session.user); else void loadUser();
      } else if (event === 'SIGNED_OUT' || event === 'SESSION_EXPIRED') {
        setUser(null);
        if (event === 'SESSION_EXPIRED') setError('Your session has ended. Please sign in again.');
      }
    });
    return () => { mounted.current = false; off(); };
  }, [client, loadUser]);

  const login = useCallback(async (credentials: LoginCredentials) => {
    setIsLoading(true);
    setError(null);
    try {
      const response = await client.login(credentials);
      setUser(response.data.user);
      setSignedIn(true);
    } catch (e) {
      setError(messageOf(e, 'Login failed'));
      throw e;
    } finally {
      setIsLoading(false);
    }
  }, [client]);

  const logout = useCallback(async () => {
    setIsLoading(true);
    try {
      await client.logout();
    } catch {
      // The tokens are cleared whatever the server answered.
    } finally {
      setUser(null);
      setSignedIn(false);
      setIsLoading(false);
    }
  }, [client]);

  const register = useCallback(async (userData: RegisterData) => {
    setIsLoading(true);
    setError(null);
    try {
      return await client.register(userData); // the user verifies the email before logging in
    } catch (e) {
      setError(messageOf(e, 'Registration failed'));
      throw e;
    } finally {
      setIsLoading(false);
    }
  }, [client]);

  const authenticateAgent = useCallback(async (agentType: string, capabilities: string[], taskContext?: Record<string, unknown>) => {
    try {
      return await client.authenticateAgent(agentType, capabilities, taskContext);
    } catch (e) {
      setError(messageOf(e, 'Agent authentication failed'));
      throw e;
    }
  }, [client]);

  const value = useMemo<AuthContextType>(() => ({
    user, login, logout, register, authenticateAgent, isAuthenticated: signedIn, isLoading, error, isReady, refreshUser: loadUser, client,
  }), [user, login, logout, register, authenticateAgent, signedIn, isLoading, error, isReady, loadUser, client]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextType {
  const context = useContext(AuthContext);
  if (context === undefined) throw new Error('useAuth must be used within an AuthProvider');
  return context;
}

export interface LoginFormProps {
  onSuccess?: () => void;
  className?: string;
}

/** The spec's LoginForm, accessible: labelled fields, and errors announced to screen readers. */
export function LoginForm({ onSuccess, className }: LoginFormProps) {
  const { login, isLoading, error } = useAuth();
  const [credentials, setCredentials] = useState({ email: '', password: '', rememberMe: false });
  const id = useId();
  const errorId = `${id}-error`;

  const handleSubmit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await login(credentials);
      onSuccess?.();
    } catch {
      // Shown from the context's error.
    }
  };

  return (
    <form onSubmit={handleSubmit} className={className} aria-describedby={error ? errorId : undefined}>
      <div id={errorId} role="alert" aria-live="assertive" className="error">{error ?? ''}</div>
      <label htmlFor={`${id}-email`}>Email</label>
      <input id={`${id}-email`} type="email" autoComplete="username" value={credentials.email} placeholder="Email" required
        aria-invalid={error ? true : undefined}
        onChange={(e) => setCredentials({ ...credentials, email: e.target.value })} />
      <label htmlFor={`${id}-password`}>Password</label>
      <input id={`${id}-password`} type="password" autoComplete="current-password" value={credentials.password} placeholder="Password" required
        aria-invalid={error ? true : undefined}
        onChange={(e) => setCredentials({ ...credentials, password: e.target.value })} />
      <label>
        <input type="checkbox" checked={credentials.rememberMe}
          onChange={(e) => setCredentials({ ...credentials, rememberMe: e.target.checked })} />
        Remember me
      </label>
      <button type="submit" disabled={isLoading} aria-busy={isLoading}>{isLoading ? 'Logging in...' : 'Login'}</button>
    </form>
  );
}

export interface RequireAuthProps {
  children: ReactNode;
  /** Shown when signed out (default: the LoginForm). */
  fallback?: ReactNode;
  /** Shown while the session is being restored. */
  loading?: ReactNode;
}

/** Renders its children only for a signed-in user. */
export function RequireAuth({ children, fallback, loading }: RequireAuthProps) {
  const { isAuthenticated, isReady, user } = useAuth();
  if (!isReady) return <>{loading ?? <p role="status">Loading...</p>}</>;
  if (!isAuthenticated) return <>{fallback ?? <LoginForm />}</>;
  if (!user) return <>{loading ?? <p role="status">Loading...</p>}</>;
  return <>{children}</>;
}
