// Serves the built app and proxies /api and /.well-known to archon-auth from the same origin, so
// the httpOnly refresh cookie (Path=/api/v2/auth, SameSite=Strict) is first-party and the
// server's Origin check sees the app's own origin. In development (devMailDir set) it also lists
// the verification and reset links found in archon-auth's mail folder.
import { createServer, request as httpRequest } from 'node:http';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.ico': 'image/x-icon' };
const PROXIED = ['/api/', '/.well-known/'];

function proxy(req, res, target) {
  const url = new URL(target);
  const upstream = httpRequest({
    host: url.hostname, port: url.port, method: req.method, path: req.url,
    headers: { ...req.headers, host: url.host },
  }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ success: false, data: null, error: { code: 'PROXY_UPSTREAM_UNAVAILABLE', message: 'archon-auth is not reachable', details: {} } }));
  });
  req.pipe(upstream);
}

/** Newest first: {to, subject, kind, link} for every token line of every .eml. */
export function devMail(mailDir) {
  if (!existsSync(mailDir)) return [];
  const out = [];
  for (const name of readdirSync(mailDir).filter((n) => n.endsWith('.eml'))) {
    const path = join(mailDir, name);
    const raw = readFileSync(path, 'utf8').replace(/=\r?\n/g, '');
    const to = /^To:\s*(.+)$/mi.exec(raw)?.[1]?.trim() ?? '';
    const subject = /^Subject:\s*(.+)$/mi.exec(raw)?.[1]?.trim() ?? '';
    for (const m of raw.matchAll(/(Verification|Reset) token:\s*(\S+)/g)) {
      const kind = m[1] === 'Verification' ? 'verify' : 'reset';
      out.push({ to, subject, kind, at: statSync(path).mtimeMs, link: `/#/${kind}?token=${encodeURIComponent(m[2])}` });
    }
  }
  return out.sort((a, b) => b.at - a.at);
}

function serveStatic(req, res, root) {
  const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let file = normalize(join(root, pathname));
  if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': file.endsWith('index.html') ? 'no-store' : 'public, max-age=3600',
  });
  createReadStream(file).pipe(res);
}

/** Starts the app server; resolves with {url, close}. port 0 picks a free one. */
export function serveApp({ root, target, port = 0, host = '127.0.0.1', devMailDir }) {
  const absRoot = resolve(root);
  const server = createServer((req, res) => {
    if (PROXIED.some((p) => req.url.startsWith(p))) return proxy(req, res, target);
    if (devMailDir && req.url === '/dev/mail') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      return res.end(JSON.stringify(devMail(devMailDir)));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return; }
    serveStatic(req, res, absRoot);
  });
  return new Promise((resolveServer, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: p } = server.address();
      resolveServer({ url: `http://${host}:${p}`, port: p, server, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) });
    });
  });
}
