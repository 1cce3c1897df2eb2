// The spec's TypeScript usage example (000_*.txt, "JavaScript/TypeScript SDK"), unchanged but for
// the baseURL and the credentials (the spec's password123 is refused by the password policy).
import ArchonAuthClient from '@archon/auth-client';

// Usage example
const authClient = new ArchonAuthClient({
  baseURL: process.env.ARCHON_BASE_URL!
});

// Login
try {
  const result = await authClient.login({
    email: process.env.ARCHON_EMAIL!,
    password: process.env.ARCHON_PASSWORD!,
    rememberMe: true
  });
  console.log('Login successful:', result.data.user);
} catch (error) {
  console.error('Login failed:', error.message);
}

// Authenticate agent
try {
  const agentAuth = await authClient.authenticateAgent(
    'code_implementer',
    ['file:read', 'file:write', 'git:commit']
  );
  console.log('Agent authenticated:', agentAuth);
} catch (error) {
  console.error('Agent auth failed:', error.message);
}
