/** Polls `read` (every 100 ms, up to 15 s): the server writes mail after it answers. */
export async function waitFor(read) {
  for (let i = 0; i < 150; i++) {
    const v = read();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

// Direct calls to the real API (the test's own view of the server, beside what the console shows).
export function apiClient(archonUrl) {
  const base = `${archonUrl}/api/v2`;
  async function call(method, path, { body, token } = {}) {
    const res = await fetch(base + path, {
      method,
      headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => null);
    return { status: res.status, json, data: json?.data };
  }
  async function ok(method, path, opts) {
    const r = await call(method, path, opts);
    if (!r.json?.success) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json?.error)}`);
    return r.data;
  }
  return {
    call,
    ok,
    login: (email, password) => ok('POST', '/auth/login', { body: { email, password } }),
    async registerVerified(env, email, name, password) {
      await ok('POST', '/auth/register', { body: { email, password, name, terms_accepted: true } });
      const token = await waitFor(() => env.verificationToken(email));
      if (!token) throw new Error(`no verification mail for ${email}`);
      await ok('POST', '/auth/verify-email', { body: { token } });
    },
  };
}
