import { useId, useState, type FormEvent } from 'react';
import { useAuth } from '@archon/auth-react';
import type { AuditEvent } from '@archon/auth-client';
import { formatTime } from '../api';
import { go, href } from '../router';
import { Pager } from '../components/Pager';
import { Status } from '../components/Status';
import { TableWrap } from '../components/TableWrap';
import { useLoad } from '../components/useLoad';

// The event names the API documents (AuditEvent.event); the filter takes any name.
const EVENTS = ['register', 'verify_email', 'verify_email_resend', 'login', 'refresh', 'refresh_reuse_detected', 'logout',
  'password_change', 'password_reset_requested', 'password_reset', 'session_revoked', 'profile_update', 'admin_user_update',
  'admin_user_deactivate', 'admin_user_create', 'token_revoked', 'agent_authenticate', 'agent_delegate', 'agent_verify',
  'agent_token_revoked', 'agent_grants_changed'];

function filtersOf(params: URLSearchParams) {
  return { userId: params.get('user_id') ?? '', event: params.get('event') ?? '', page: Math.max(1, Number(params.get('page')) || 1) };
}
type Filters = ReturnType<typeof filtersOf>;

const auditHref = (f: Filters, page = 1) =>
  href('/audit', { user_id: f.userId.trim(), event: f.event.trim(), page: page === 1 ? undefined : page });

function FilterForm({ initial }: { initial: Filters }) {
  const id = useId();
  const [f, setF] = useState(initial);
  const submit = (e: FormEvent) => { e.preventDefault(); go(auditHref(f)); };
  return (
    <form className="filters" role="search" aria-label="Filter audit events" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-u`}>Account (user id)</label>
        <input id={`${id}-u`} value={f.userId} placeholder="user_…" onChange={(e) => setF({ ...f, userId: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-e`}>Event</label>
        <input id={`${id}-e`} list={`${id}-events`} value={f.event} onChange={(e) => setF({ ...f, event: e.target.value })} />
        <datalist id={`${id}-events`}>{EVENTS.map((e) => <option key={e} value={e} />)}</datalist>
      </div>
      <button type="submit">Apply filters</button>
    </form>
  );
}

function Row({ e }: { e: AuditEvent }) {
  return (
    <tr data-testid="audit-row" data-event={e.event}>
      <td data-label="#">{e.seq}</td>
      <td data-label="When">{formatTime(e.at)}</td>
      <td data-label="Event"><code>{e.event}</code></td>
      <td data-label="Outcome">{e.outcome}</td>
      <td data-label="Actor"><code>{e.actor}</code></td>
      <td data-label="Account">{e.userId ? <code>{e.userId}</code> : '—'}</td>
      <td data-label="Details">
        <details>
          <summary>Details<span className="visually-hidden"> of event {e.seq}</span></summary>
          <dl className="facts compact">
            <dt>Request</dt><dd><code>{e.requestId}</code></dd>
            <dt>Client</dt><dd>{e.clientAddress} · {e.userAgent}</dd>
          </dl>
          <pre data-testid="audit-details">{JSON.stringify(e.details, null, 2)}</pre>
        </details>
      </td>
    </tr>
  );
}

/** GET /audit: newest first, filtered by account and event name, paged as the API pages. */
export function AuditPage({ params }: { params: URLSearchParams }) {
  const { client } = useAuth();
  const f = filtersOf(params);
  const key = JSON.stringify(f);
  const { data, error, loading } = useLoad(
    () => client.getAuditEvents({ page: f.page, limit: 25, userId: f.userId || undefined, event: f.event || undefined }), key);
  return (
    <>
      <h1 tabIndex={-1}>Audit trail</h1>
      <p className="muted">Hash-chained; the chain's verification state is not exposed by the API yet (<code>archon-auth audit verify</code> checks it on the server).</p>
      <FilterForm key={key} initial={f} />
      <Status loading={loading} error={error} what="audit events" />
      {data && (
        <section aria-label="Audit events">
          <p role="status" className="muted">{data.pagination?.total ?? data.items.length} events match.</p>
          <TableWrap label="Audit events table">
            <table className="stacked">
              <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Event</th><th scope="col">Outcome</th><th scope="col">Actor</th><th scope="col">Account</th><th scope="col">Details</th></tr></thead>
              <tbody>{data.items.map((e) => <Row key={e.seq} e={e} />)}</tbody>
            </table>
          </TableWrap>
          <Pager pagination={data.pagination} hrefFor={(p) => auditHref(f, p)} label="Audit pages" />
        </section>
      )}
    </>
  );
}
