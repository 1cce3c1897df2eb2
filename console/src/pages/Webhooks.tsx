import { useId, useState, type FormEvent } from 'react';
import { useAuth } from '@archon/auth-react';
import type { CreatedWebhook, Webhook, WebhookEventType } from '@archon/auth-client';
import { describeError, errorText, formatTime } from '../api';
import { href } from '../router';
import { EVENT_TYPES, endpointState } from '../webhooks';
import { FieldError, invalidProps } from '../components/FieldError';
import { Link } from '../components/Link';
import { Pager } from '../components/Pager';
import { SecretPanel } from '../components/SecretPanel';
import { Status } from '../components/Status';
import { TableWrap } from '../components/TableWrap';
import { useAnnounce } from '../components/Announcer';
import { useLoad } from '../components/useLoad';

function EventTypesField({ all, types, onAll, onType, error, errorId }: {
  all: boolean; types: WebhookEventType[]; onAll: (on: boolean) => void; onType: (t: WebhookEventType, on: boolean) => void;
  error?: string; errorId: string;
}) {
  return (
    <>
      <fieldset aria-describedby={error ? errorId : undefined}>
        <legend>Event types</legend>
        <label className="check"><input type="checkbox" checked={all} onChange={(e) => onAll(e.target.checked)} /> every type (<code>*</code>)</label>
        {EVENT_TYPES.map((t) => (
          <label key={t} className="check">
            <input type="checkbox" disabled={all} checked={all || types.includes(t)} onChange={(e) => onType(t, e.target.checked)} /> <code>{t}</code>
          </label>
        ))}
      </fieldset>
      <FieldError id={errorId} message={error} />
    </>
  );
}

function CreateWebhookForm({ onCreated }: { onCreated: (w: CreatedWebhook) => void }) {
  const { client } = useAuth();
  const id = useId();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [all, setAll] = useState(false);
  const [types, setTypes] = useState<WebhookEventType[]>([]);
  const [error, setError] = useState('');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    setFields({});
    try {
      const eventTypes = all ? ['*' as const] : EVENT_TYPES.filter((t) => types.includes(t));
      const created = await client.createWebhook({ url: url.trim(), eventTypes, description });
      setUrl(''); setDescription(''); setAll(false); setTypes([]);
      onCreated(created);
    } catch (err) {
      setError(errorText(err));
      setFields(describeError(err).fields);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby={`${id}-h`} noValidate>
      <h2 id={`${id}-h`}>Add an endpoint</h2>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-u`}>URL</label>
          <input id={`${id}-u`} type="url" value={url} maxLength={2000} placeholder="https://hooks.example.com/archon"
            onChange={(e) => setUrl(e.target.value)} {...invalidProps(`${id}-ue`, fields.url)} />
          <FieldError id={`${id}-ue`} message={fields.url} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-d`}>Description (optional)</label>
          <input id={`${id}-d`} value={description} maxLength={500} onChange={(e) => setDescription(e.target.value)}
            {...invalidProps(`${id}-de`, fields.description)} />
          <FieldError id={`${id}-de`} message={fields.description} />
        </div>
      </div>
      <EventTypesField all={all} types={types} onAll={setAll} error={fields.event_types} errorId={`${id}-te`}
        onType={(t, on) => setTypes(on ? [...types, t] : types.filter((x) => x !== t))} />
      <div className="row"><button type="submit" disabled={busy} aria-busy={busy}>Add endpoint</button></div>
      <p role="alert" className="error" data-testid="webhook-error">{error}</p>
    </form>
  );
}

function EndpointsTable({ endpoints }: { endpoints: Webhook[] }) {
  return (
    <TableWrap label="Webhook endpoints table">
      <table className="stacked">
        <caption className="visually-hidden">Webhook endpoints, newest first</caption>
        <thead><tr><th scope="col">URL</th><th scope="col">Event types</th><th scope="col">State</th>
          <th scope="col">Last success</th><th scope="col">Description</th></tr></thead>
        <tbody>
          {endpoints.map((w) => (
            <tr key={w.id} data-testid="webhook-row" data-webhook-id={w.id}>
              <td data-label="URL"><Link className="break" href={href(`/webhooks/${encodeURIComponent(w.id)}`)}>{w.url}</Link></td>
              <td data-label="Event types"><span>{w.eventTypes.map((t) => <code key={t} className="nw">{t}</code>)}</span></td>
              <td data-label="State">{endpointState(w)}</td>
              <td data-label="Last success">{w.lastSuccessAt ? formatTime(w.lastSuccessAt) : 'never'}</td>
              <td data-label="Description">{w.description || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** Webhook endpoints: list (paged), add one (its signing secret shown once); each links to its page. */
export function WebhooksPage({ params }: { params: URLSearchParams }) {
  const { client } = useAuth();
  const announce = useAnnounce();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const list = useLoad(() => client.listWebhooks({ page, limit: 20 }), `webhooks-${page}`);
  const [created, setCreated] = useState<CreatedWebhook | null>(null);
  return (
    <>
      <h1 tabIndex={-1}>Webhooks</h1>
      <p className="muted">archon-auth POSTs each event to the endpoints subscribed to its type, signed
        (Standard Webhooks) with the endpoint's secret, and retries failures; an endpoint that keeps failing is disabled.</p>
      {created && (
        <SecretPanel title={`Signing secret of ${created.url}`} label="Signing secret" secret={created.secret} onDismiss={() => setCreated(null)}>
          <p>Verify each delivery's <code>webhook-signature</code> with it. <Link href={href(`/webhooks/${encodeURIComponent(created.id)}`)}>Open the endpoint</Link></p>
        </SecretPanel>
      )}
      <CreateWebhookForm onCreated={(w) => { setCreated(w); announce(`Endpoint ${w.url} added; copy its secret now`); list.reload(); }} />
      <h2>Endpoints</h2>
      <Status loading={list.loading && !list.data} error={list.error} what="webhook endpoints" />
      {list.data && list.data.items.length === 0 && <p>No endpoints yet.</p>}
      {list.data && list.data.items.length > 0 && <EndpointsTable endpoints={list.data.items} />}
      {list.data && <Pager pagination={list.data.pagination} hrefFor={(p) => href('/webhooks', { page: p === 1 ? undefined : p })} label="Endpoint pages" />}
    </>
  );
}
