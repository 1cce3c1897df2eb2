// Server-side rendering: no window, no document; importing and rendering must not touch them.
import { describe, expect, it } from 'vitest';
import { renderToString } from 'react-dom/server';

describe('SSR', () => {
  it('imports and renders without window', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const { AuthProvider, RequireAuth, LoginForm } = await import('@archon/auth-react');
    const html = renderToString(<AuthProvider baseURL="http://auth.test"><RequireAuth fallback={<LoginForm />}><p>secret</p></RequireAuth></AuthProvider>);
    expect(html).toContain('Loading');
    expect(html).not.toContain('secret');
  });
});
