// A tiny webhook receiver in the test process: records every POST (headers and raw body) and
// answers 200, or 500 under /fail (to see retries, a failed delivery and an auto-disabled endpoint).
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';

export function startReceiver() {
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(req.url?.startsWith('/fail') ? 500 : 200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${server.address().port}`,
      received,
      close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
    }));
  });
}

/** True when one of the webhook-signature's "v1,<base64>" entries is the HMAC of id.timestamp.body under `secret`. */
export function signedWith(delivery, secret) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig } = delivery.headers;
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${delivery.body}`).digest('base64');
  return String(sig ?? '').split(' ').includes(`v1,${expected}`);
}
