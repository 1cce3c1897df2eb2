// A scripted fetch for unit tests of the SDK's own logic (retries, single-flight, events).
// Everything about the real server is tested in test/integration against the binary.
export interface Seen { method: string; path: string; headers: Record<string, string>; body: any; credentials?: string }

export function envelope(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify({ success: true, data, error: null, meta: { request_id: 'req_1' } }),
    { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

export function failure(status: number, code: string, details: Record<string, unknown> = {}, headers: Record<string, string> = {}, meta: Record<string, unknown> = {}): Response {
  return new Response(JSON.stringify({ success: false, data: null, meta: { request_id: 'req_e', ...meta },
    error: { code, message: `${code} happened`, details, trace_id: 'req_e', documentation_url: `https://docs.archon.ai/errors/${code.toLowerCase().replace(/_/g, '-')}` } }),
  { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

export function fakeFetch(handler: (req: Seen, n: number) => Response | Promise<Response>) {
  const seen: Seen[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://app.test');
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>));
    const req: Seen = { method: init?.method ?? 'GET', path: url.pathname + url.search, headers, body: init?.body ? JSON.parse(String(init.body)) : undefined, credentials: init?.credentials };
    seen.push(req);
    if (init?.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    return new Promise<Response>((resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      Promise.resolve(handler(req, seen.length)).then(resolve, reject);
    });
  }) as typeof fetch;
  return { fetch: fetchImpl, seen, count: (path: string) => seen.filter((s) => s.path.startsWith(path)).length };
}

export const USER = { id: 'usr_1', email: 'a@example.com', name: 'A', roles: ['user'], permissions: [], is_active: true, email_verified: true, preferences: {}, created_at: '2026-01-01T00:00:00Z', last_login: null };

export function loginAnswer(token = 'at-1', expiresIn = 3600, extra: Record<string, unknown> = {}) {
  return envelope({ access_token: token, token_type: 'Bearer', expires_in: expiresIn, session_id: 'sess_1', user: USER, ...extra });
}
