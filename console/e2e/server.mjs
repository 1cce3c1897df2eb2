// Serves console/dist under /admin as the binary will (index.html for every /admin/... path that
// is not an asset, the CSP the binary will send) and reverse-proxies everything else to the real
// archon-auth, so the console, the API and /metrics share one origin.
import { createServer, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const ASSETS = { '/admin/console.js': ['console.js', 'text/javascript; charset=utf-8'], '/admin/console.css': ['console.css', 'text/css; charset=utf-8'] };

function proxy(req, res, target) {
  const url = new URL(target);
  const upstream = httpRequest({ host: url.hostname, port: url.port, method: req.method, path: req.url, headers: { ...req.headers, host: url.host } },
    (up) => { res.writeHead(up.statusCode ?? 502, up.headers); up.pipe(res); });
  upstream.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
  req.pipe(upstream);
}

function serveConsole(req, res, distDir) {
  const pathname = new URL(req.url, 'http://x').pathname;
  const [file, type] = ASSETS[pathname] ?? ['index.html', 'text/html; charset=utf-8'];
  res.writeHead(200, {
    'Content-Type': type, 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer',
    'Cache-Control': file === 'index.html' ? 'no-store' : 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : readFileSync(join(distDir, file)));
}

/** Listens on `port`; resolves with {url, close}. */
export function serveConsoleProxy({ distDir, target, port }) {
  const server = createServer((req, res) => {
    const isConsole = req.url === '/admin' || req.url.startsWith('/admin/') || req.url.startsWith('/admin?');
    if (isConsole && (req.method === 'GET' || req.method === 'HEAD')) return serveConsole(req, res, distDir);
    return proxy(req, res, target);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${port}`,
      close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
    }));
  });
}
