// Verifies webhook deliveries with the JavaScript `standardwebhooks` library, as a receiver would.
// stdin: JSON [{secret, headers, body_b64}]; stdout: JSON [{ok, error, type}], one per case.
import { Webhook } from "standardwebhooks";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const results = cases.map(({ secret, headers, body_b64 }) => {
  try {
    // the raw bytes as received: the signature covers them exactly
    const payload = new Webhook(secret).verify(Buffer.from(body_b64, "base64"), headers);
    return { ok: true, error: null, type: payload.type };
  } catch (e) {
    return { ok: false, error: String(e && e.message ? e.message : e), type: null };
  }
});
process.stdout.write(JSON.stringify(results));
