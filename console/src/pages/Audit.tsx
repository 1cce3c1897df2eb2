import { useId, useState, type FormEvent } from 'react';
import { useAuth } from '@archon/auth-react';
import type { AuditEvent } from '@archon/auth-client';
import { adminApi } from '../admin-api';
import { formatTime } from '../api';
import { go, href } from '../router';
import { ChainState } from '../components/ChainState';
import { Pager } from '../components/Pager';
import { Status } from '../components/Status';
import { TableWrap } from '../components/TableWrap';
import { useLoad } from '../components/useLoad';

// The event names and outcomes the API documents (AuditEvent); the filters take any value.
const EVENTS = ['register', 'verify_email', 'verify_email_resend', 'login', 'refresh', 'refresh_reuse_detected', 'logout',
  'password_change', 'password_reset_requested', 'password_reset', 'session_revoked', 'sessions_revoked_all', 'profile_update',
  'admin_user_update', 'admin_user_deactivate', 'admin_user_create', 'admin_user_unlock', 'admin_password_reset_sent',
  'token_revoked', 'agent_authenticate', 'agent_delegate', 'agent_verify', 'agent_token_revoked', 'agent_tokens_revoked_all',
  'agent_grants_changed', 'api_key.created', 'api_key.revoked', 'api_key.used', 'webhook.created', 'webhook.updated',
  'webhook.deleted', 'webhook.secret_rotated', 'webhook.redelivery_requested', 'webhook.endpoint_disabled'];
const OUTCOMES = ['success', 'failure', 'locked', 'email_not_verified', 'existing_email', 'sent', 'rotated', 'grace_replay',
  'session_revoked', 'granted', 'denied', 'refused', 'allowed'];
const FIELDS = ['user_id', 'event', 'actor', 'outcome', 'since', 'until'] as const;
type Field = (typeof FIELDS)[number];
type Filters = Record<Field, string> & { page: number };

function filtersOf(params: URLSearchParams): Filters {
  const f = Object.fromEntries(FIELDS.map((k) => [k, params.get(k) ?? ''])) as Record<Field, string>;
  return { ...f, page: Math.max(1, Number(params.get('page')) || 1) };
}

const auditHref = (f: Filters, page = 1) =>
  href('/audit', { ...Object.fromEntries(FIELDS.map((k) => [k, f[k].trim()])), page: page === 1 ? undefined : page });

/** A datetime-local value (the browser's time zone) as the API's UTC form, 2026-12-07T10:00:00Z. */
export function localToUtc(local: string): string {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The API's UTC time as a datetime-local value in the browser's time zone ('' when unreadable). */
function utcToLocal(iso: string): string {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function TextFilter({ label, value, onChange, list, placeholder }: {
  label: string; value: string; onChange: (v: string) => void; list?: string[]; placeholder?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} list={list ? `${id}-l` : undefined} value={value} placeholder={placeholder} onChange={(e) => onChange(e.target.value)} />
      {list && <datalist id={`${id}-l`}>{list.map((v) => <option key={v} value={v} />)}</datalist>}
    </div>
  );
}

/** A datetime-local input kept as UTC ISO in the filters; the UTC value is shown beside it. */
function TimeFilter({ label, utc, onChange }: { label: string; utc: string; onChange: (utc: string) => void }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="datetime-local" value={utcToLocal(utc)} aria-describedby={`${id}-u`}
        onChange={(e) => onChange(e.target.value ? localToUtc(e.target.value) : '')} />
      <span id={`${id}-u`} className="muted small" data-testid="utc-value">{utc ? `${utc} (UTC)` : 'your time zone; sent as UTC'}</span>
    </div>
  );
}

function FilterForm({ initial }: { initial: Filters }) {
  const [f, setF] = useState(initial);
  const set = (k: Field) => (v: string) => setF({ ...f, [k]: v });
  const submit = (e: FormEvent) => { e.preventDefault(); go(auditHref(f)); };
  return (
    <form className="filters" role="search" aria-label="Filter audit events" onSubmit={submit}>
      <TextFilter label="Account (user id)" value={f.user_id} onChange={set('user_id')} placeholder="user_…" />
      <TextFilter label="Actor" value={f.actor} onChange={set('actor')} placeholder="user_…, system, api_key:…" />
      <TextFilter label="Event" value={f.event} onChange={set('event')} list={EVENTS} />
      <TextFilter label="Outcome" value={f.outcome} onChange={set('outcome')} list={OUTCOMES} />
      <TimeFilter label="Since (inclusive)" utc={f.since} onChange={set('since')} />
      <TimeFilter label="Until (exclusive)" utc={f.until} onChange={set('until')} />
      <button type="submit">Apply filters</button>
      <button type="button" onClick={() => go(href('/audit'))}>Clear</button>
    </form>
  );
}

function Row({ e }: { e: AuditEvent }) {
  return (
    <tr data-testid="audit-row" data-event={e.event} data-actor={e.actor}>
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

/** GET /audit: newest first, filtered by account, actor, event, outcome and time, paged as the API pages. */
export function AuditPage({ params }: { params: URLSearchParams }) {
  const { client } = useAuth();
  const f = filtersOf(params);
  const key = JSON.stringify(f);
  const { data, error, loading } = useLoad(() => adminApi.listAudit(client, {
    page: f.page, limit: 25, userId: f.user_id, event: f.event, actor: f.actor, outcome: f.outcome, since: f.since, until: f.until,
  }), key);
  return (
    <>
      <h1 tabIndex={-1}>Audit trail</h1>
      <ChainState />
      <FilterForm key={key} initial={f} />
      <Status loading={loading} error={error} what="audit events" />
      {data && (
        <section aria-label="Audit events">
          <p role="status" className="muted" data-testid="audit-count">{data.pagination?.total ?? data.items.length} events match.</p>
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
