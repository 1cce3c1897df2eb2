import { useEffect, useState } from 'react';
import { useAuth } from '@archon/auth-react';
import type { CreatedWebhook, Webhook, WebhookDelivery } from '@archon/auth-client';
import { errorText, formatTime } from '../api';
import { go, href } from '../router';
import { endpointState } from '../webhooks';
import { ConfirmButton } from '../components/ConfirmButton';
import { Link } from '../components/Link';
import { Pager } from '../components/Pager';
import { SecretPanel } from '../components/SecretPanel';
import { Status } from '../components/Status';
import { TableWrap } from '../components/TableWrap';
import { useAnnounce } from '../components/Announcer';
import { useLoad } from '../components/useLoad';

function EndpointFacts({ w }: { w: Webhook }) {
  return (
    <dl className="facts">
      <dt>URL</dt><dd><code>{w.url}</code></dd>
      <dt>Description</dt><dd>{w.description || '—'}</dd>
      <dt>Event types</dt><dd>{w.eventTypes.map((t) => <code key={t}>{t}</code>)}</dd>
      <dt>State</dt><dd data-testid="webhook-state">{endpointState(w)}</dd>
      <dt>Last success</dt><dd>{w.lastSuccessAt ? formatTime(w.lastSuccessAt) : 'never'}</dd>
      <dt>Previous secret</dt><dd>{w.previousSecretExpiresAt ? `still signs until ${formatTime(w.previousSecretExpiresAt)}` : '—'}</dd>
      <dt>Created</dt><dd>{formatTime(w.createdAt)}</dd>
      <dt>Updated</dt><dd>{formatTime(w.updatedAt)}</dd>
    </dl>
  );
}

/** Enable/disable, rotate the secret (shown once), delete (confirmed). */
function EndpointActions({ w, onChanged, onRotated }: { w: Webhook; onChanged: (w: Webhook) => void; onRotated: (w: CreatedWebhook) => void }) {
  const { client } = useAuth();
  const announce = useAnnounce();
  const [error, setError] = useState('');
  const run = async (what: () => Promise<void>) => {
    setError('');
    try { await what(); } catch (e) { setError(errorText(e)); }
  };
  const toggle = () => run(async () => {
    const saved = await client.updateWebhook(w.id, { enabled: !w.enabled });
    onChanged(saved);
    announce(`Endpoint ${saved.enabled ? 'enabled' : 'disabled'}`);
  });
  const rotate = () => run(async () => {
    const rotated = await client.rotateWebhookSecret(w.id);
    onRotated(rotated);
    announce('Secret rotated; copy the new one now');
  });
  const remove = () => run(async () => {
    await client.deleteWebhook(w.id);
    announce(`Endpoint ${w.url} deleted`);
    go(href('/webhooks'));
  });
  return (
    <>
      <div className="row">
        <button type="button" onClick={() => void toggle()}>{w.enabled ? 'Disable endpoint' : 'Enable endpoint'}</button>
        <button type="button" onClick={() => void rotate()}>Rotate secret</button>
        <ConfirmButton label="Delete endpoint" question={`Delete ${w.url} and its delivery log?`} confirmLabel="Yes, delete" onConfirm={remove} />
      </div>
      <p role="alert" className="error">{error}</p>
    </>
  );
}

function Attempts({ d }: { d: WebhookDelivery }) {
  if (d.attemptLog.length === 0) return <p className="muted small">No attempt yet.</p>;
  return (
    <TableWrap label={`Attempts of delivery ${d.id}`}>
      <table className="stacked">
        <thead><tr><th scope="col">Attempt</th><th scope="col">Time</th><th scope="col">Status code</th><th scope="col">Latency</th><th scope="col">Error</th></tr></thead>
        <tbody>
          {d.attemptLog.map((a) => (
            <tr key={a.attempt} data-testid="attempt-row">
              <td data-label="Attempt">{a.attempt}</td>
              <td data-label="Time">{formatTime(a.at)}</td>
              <td data-label="Status code">{a.statusCode ?? 'no answer'}</td>
              <td data-label="Latency">{a.latencyMs} ms</td>
              <td data-label="Error">{a.error ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

function DeliveryItem({ d, onRedeliver }: { d: WebhookDelivery; onRedeliver: (d: WebhookDelivery) => void }) {
  return (
    <li className="card delivery" data-testid="delivery" data-delivery-id={d.id} data-status={d.status}>
      <h3 className="delivery-title"><span>Delivery {d.id}</span> <code>{d.eventType}</code> <span className={`badge status-${d.status}`}>{d.status}</span></h3>
      <dl className="facts compact">
        <dt>Event id</dt><dd><code>{d.eventId}</code></dd>
        <dt>Created</dt><dd>{formatTime(d.createdAt)}</dd>
        <dt>{d.status === 'pending' ? 'Next attempt' : 'Completed'}</dt><dd>{formatTime(d.status === 'pending' ? d.nextAttemptAt : d.completedAt)}</dd>
        <dt>Attempts</dt><dd>{d.attempts}</dd>
      </dl>
      <Attempts d={d} />
      <div className="row">
        <button type="button" onClick={() => onRedeliver(d)}>Redeliver<span className="visually-hidden"> delivery {d.id}</span></button>
      </div>
    </li>
  );
}

/** The delivery log, newest first, paged; refreshed every 2 s while a delivery is pending. */
function Deliveries({ webhookId, page }: { webhookId: string; page: number }) {
  const { client } = useAuth();
  const announce = useAnnounce();
  const log = useLoad(() => client.listWebhookDeliveries(webhookId, { page, limit: 10 }), `${webhookId}-${page}`);
  const [error, setError] = useState('');
  const pending = log.data?.items.some((d) => d.status === 'pending') ?? false;
  const { reload } = log;
  useEffect(() => {
    if (!pending) return undefined;
    const t = window.setTimeout(reload, 2000);
    return () => window.clearTimeout(t);
  }, [pending, log.data, reload]);
  const redeliver = async (d: WebhookDelivery) => {
    setError('');
    try {
      const r = await client.redeliverWebhook(webhookId, d.id);
      announce(`Event ${d.eventId} queued again as delivery ${r.deliveryId}`);
      reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <section aria-labelledby="deliveries-h">
      <h2 id="deliveries-h">Deliveries</h2>
      <div className="row"><button type="button" onClick={reload}>Refresh deliveries</button></div>
      <Status loading={log.loading && !log.data} error={log.error} what="deliveries" />
      <p role="alert" className="error">{error}</p>
      {log.data && log.data.items.length === 0 && <p>No deliveries yet.</p>}
      <ol className="deliveries" aria-label="Delivery log, newest first">
        {log.data?.items.map((d) => <DeliveryItem key={d.id} d={d} onRedeliver={(x) => void redeliver(x)} />)}
      </ol>
      {log.data && <Pager pagination={log.data.pagination} label="Delivery pages"
        hrefFor={(p) => href(`/webhooks/${encodeURIComponent(webhookId)}`, { page: p === 1 ? undefined : p })} />}
    </section>
  );
}

/** The record without the secret: nothing keeps it once its panel is dismissed. */
function withoutSecret({ secret: _secret, ...endpoint }: CreatedWebhook): Webhook {
  return endpoint;
}

/** One endpoint: its settings and actions, and its delivery log with redelivery. */
export function WebhookDetailPage({ webhookId, params }: { webhookId: string; params: URLSearchParams }) {
  const { client } = useAuth();
  const loaded = useLoad(() => client.getWebhook(webhookId), webhookId);
  const [override, setOverride] = useState<Webhook | null>(null);
  const [rotated, setRotated] = useState<CreatedWebhook | null>(null);
  const w = override?.id === webhookId ? override : loaded.data;
  const page = Math.max(1, Number(params.get('page')) || 1);
  return (
    <>
      <p><Link href={href('/webhooks')}>← All endpoints</Link></p>
      <h1 tabIndex={-1} className="break">{w ? w.url : 'Webhook endpoint'}</h1>
      <Status loading={loaded.loading && !w} error={loaded.error} what="the endpoint" />
      {rotated && (
        <SecretPanel title="New signing secret" label="Signing secret" secret={rotated.secret} onDismiss={() => setRotated(null)}>
          <p data-testid="previous-secret-expiry">The previous secret keeps signing beside it until {formatTime(rotated.previousSecretExpiresAt)}:
            switch the receiver to the new one before then.</p>
        </SecretPanel>
      )}
      {w && (
        <section className="card" aria-label="Endpoint settings">
          <EndpointFacts w={w} />
          <EndpointActions w={w} onChanged={setOverride} onRotated={(r) => { setRotated(r); setOverride(withoutSecret(r)); }} />
        </section>
      )}
      {w && <Deliveries webhookId={webhookId} page={page} />}
    </>
  );
}
