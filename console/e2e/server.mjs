// For development (CONSOLE_SERVED_BY=proxy): serves console/dist exactly as the binary does —
// GET /admin (index.html), /admin/console.js and /admin/console.css, with the binary's CSP and
// headers — and reverse-proxies everything else to the real archon-auth, so any other /admin/...
// path gets the binary's own 404, and the console, the API and /metrics share one origin.
import { createServer, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// As src/http/dispatcher.cpp sends it for the console's routes.
export const CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
  + "frame-ancestors 'none'; form-action 'self'";

const FILES = {
  '/admin': ['index.html', 'text/html; charset=utf-8'],
  '/admin/console.js': ['console.js', 'text/javascript; charset=utf-8'],
  '/admin/console.css': ['console.css', 'text/css; charset=utf-8'],
};

function proxy(req, res, target) {
  const url = new URL(target);
  const upstream = httpRequest({ host: url.hostname, port: url.port, method: req.method, path: req.url, headers: { ...req.headers, host: url.host } },
    (up) => { res.writeHead(up.statusCode ?? 502, up.headers); up.pipe(res); });
  upstream.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
  req.pipe(upstream);
}

function serveFile(res, distDir, [file, type]) {
  res.writeHead(200, {
    'Content-Type': type, 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'strict-origin-when-cross-origin',
  });
  res.end(readFileSync(join(distDir, file)));
}

/** Listens on `port`; resolves with {url, close}. */
export function serveConsoleProxy({ distDir, target, port }) {
  const server = createServer((req, res) => {
    const file = req.method === 'GET' ? FILES[new URL(req.url, 'http://x').pathname] : undefined;
    return file ? serveFile(res, distDir, file) : proxy(req, res, target);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
    }));
  });
}
