import { useId, useState, type FormEvent } from 'react';
import { useAuth } from '@archon/auth-react';
import type { ApiKey, ApiKeyScope, CreatedApiKey } from '@archon/auth-client';
import { describeError, errorText, formatTime } from '../api';
import { href } from '../router';
import { ConfirmButton } from '../components/ConfirmButton';
import { FieldError, invalidProps } from '../components/FieldError';
import { Pager } from '../components/Pager';
import { SecretPanel } from '../components/SecretPanel';
import { Status } from '../components/Status';
import { TableWrap } from '../components/TableWrap';
import { useAnnounce } from '../components/Announcer';
import { useLoad } from '../components/useLoad';

// The server's fixed set (docs/api-keys.md), with what each lets a service do.
const SCOPES: { scope: ApiKeyScope; what: string }[] = [
  { scope: 'agents:verify', what: 'verify agent tokens (tool servers)' },
  { scope: 'tokens:introspect', what: 'introspect tokens' },
  { scope: 'tokens:revoke', what: 'revoke tokens' },
  { scope: 'users:read', what: 'read users and role grants' },
  { scope: 'audit:read', what: 'read the audit trail' },
  { scope: 'webhooks:manage', what: 'manage webhooks' },
];
const DAY = 86_400;
const MAX_DAYS = 157_680_000 / DAY; // the server's upper bound on expires_in

function CreateKeyForm({ onCreated }: { onCreated: (k: CreatedApiKey) => void }) {
  const { client } = useAuth();
  const id = useId();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiKeyScope[]>([]);
  const [days, setDays] = useState('');
  const [error, setError] = useState('');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const toggle = (s: ApiKeyScope, on: boolean) => setScopes(on ? [...scopes, s] : scopes.filter((x) => x !== s));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    setFields({});
    try {
      const ordered = SCOPES.map((s) => s.scope).filter((s) => scopes.includes(s));
      const created = await client.createApiKey({ name, scopes: ordered, ...(days.trim() ? { expiresIn: Math.round(Number(days) * DAY) } : {}) });
      setName(''); setScopes([]); setDays('');
      onCreated(created);
    } catch (err) {
      setError(errorText(err).replace(/expires_in/g, 'expiry'));
      const f = describeError(err).fields;
      // The server counts seconds; the form asks for days.
      if (f.expires_in) f.expires_in = `Must be between 1 and ${MAX_DAYS} days (the server said: ${f.expires_in} seconds)`;
      setFields(f);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-labelledby={`${id}-h`} noValidate>
      <h2 id={`${id}-h`}>Create an API key</h2>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-n`}>Name</label>
          <input id={`${id}-n`} value={name} maxLength={100} onChange={(e) => setName(e.target.value)}
            placeholder="billing service" {...invalidProps(`${id}-ne`, fields.name)} />
          <FieldError id={`${id}-ne`} message={fields.name} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-d`}>Expires after (days, optional)</label>
          <input id={`${id}-d`} type="number" inputMode="numeric" min={1} max={MAX_DAYS} value={days}
            onChange={(e) => setDays(e.target.value)} placeholder="never" {...invalidProps(`${id}-de`, fields.expires_in)} />
          <FieldError id={`${id}-de`} message={fields.expires_in} />
        </div>
      </div>
      <fieldset aria-describedby={fields.scopes ? `${id}-se` : undefined}>
        <legend>Scopes</legend>
        {SCOPES.map((s) => (
          <label key={s.scope} className="check">
            <input type="checkbox" checked={scopes.includes(s.scope)} onChange={(e) => toggle(s.scope, e.target.checked)} />
            <code>{s.scope}</code> <span className="muted small">{s.what}</span>
          </label>
        ))}
      </fieldset>
      <FieldError id={`${id}-se`} message={fields.scopes} />
      <div className="row">
        <button type="submit" disabled={busy} aria-busy={busy}>Create key</button>
      </div>
      <p role="alert" className="error" data-testid="api-key-error">{error}</p>
    </form>
  );
}

function KeyState({ k }: { k: ApiKey }) {
  if (k.revokedAt) return <>revoked {formatTime(k.revokedAt)}</>;
  if (k.expiresAt && Date.parse(k.expiresAt) <= Date.now()) return <>expired</>;
  return <>active</>;
}

function KeysTable({ keys, onRevoke }: { keys: ApiKey[]; onRevoke: (k: ApiKey) => Promise<void> }) {
  return (
    <TableWrap label="API keys table">
      <table className="stacked">
        <caption className="visually-hidden">API keys, newest first</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Scopes</th><th scope="col">Created</th>
          <th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-testid="api-key-row" data-key-id={k.id}>
              <td data-label="Name">{k.name}</td>
              <td data-label="Prefix"><code className="nw">{k.prefix}…</code></td>
              <td data-label="Scopes"><span>{k.scopes.map((s) => <code key={s} className="nw">{s}</code>)}</span></td>
              <td data-label="Created">{formatTime(k.createdAt)}</td>
              <td data-label="Expires">{k.expiresAt ? formatTime(k.expiresAt) : 'never'}</td>
              <td data-label="Last used">{k.lastUsedAt ? formatTime(k.lastUsedAt) : 'never'}</td>
              <td data-label="State" data-testid="api-key-state"><KeyState k={k} /></td>
              <td data-label="Actions">
                {!k.revokedAt && (
                  <ConfirmButton label={`Revoke ${k.name}`} question={`Revoke the key ${k.name} (${k.prefix}…)? Services using it are refused at once.`}
                    confirmLabel="Yes, revoke" onConfirm={() => onRevoke(k)} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** API keys for services: list (paged), create (the key shown once), revoke. */
export function ApiKeysPage({ params }: { params: URLSearchParams }) {
  const { client } = useAuth();
  const announce = useAnnounce();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const list = useLoad(() => client.listApiKeys({ page, limit: 20 }), `keys-${page}`);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [error, setError] = useState('');
  const revoke = async (k: ApiKey) => {
    setError('');
    try {
      await client.revokeApiKey(k.id);
      announce(`API key ${k.name} revoked`);
      list.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <>
      <h1 tabIndex={-1}>API keys</h1>
      <p className="muted">Keys let a service call archon-auth without a user: it sends <code>X-API-Key</code>, and each
        key may do only what its scopes allow. To rotate one, create its successor, deploy it, then revoke the old key.</p>
      {created && (
        <SecretPanel title={`New API key “${created.name}”`} label="API key" secret={created.key} onDismiss={() => setCreated(null)}>
          <p>Scopes: {created.scopes.map((s) => <code key={s}>{s}</code>)}; expires {created.expiresAt ? formatTime(created.expiresAt) : 'never'}.</p>
        </SecretPanel>
      )}
      <CreateKeyForm onCreated={(k) => { setCreated(k); announce(`API key ${k.name} created; copy it now`); list.reload(); }} />
      <h2>Keys</h2>
      <Status loading={list.loading && !list.data} error={list.error} what="API keys" />
      <p role="alert" className="error">{error}</p>
      {list.data && list.data.items.length === 0 && <p>No API keys yet.</p>}
      {list.data && list.data.items.length > 0 && <KeysTable keys={list.data.items} onRevoke={revoke} />}
      {list.data && <Pager pagination={list.data.pagination} hrefFor={(p) => href('/api-keys', { page: p === 1 ? undefined : p })} label="API key pages" />}
    </>
  );
}
