import { useId, useState, type FormEvent } from 'react';
import { useAuth } from '@archon/auth-react';
import type { AgentGrant } from '@archon/auth-client';
import { describeError, errorText } from '../api';
import { ROLES } from '../access';
import { go, href } from '../router';
import { AgentsNav } from '../components/AgentsNav';
import { Status } from '../components/Status';
import { useAnnounce } from '../components/Announcer';
import { useLoad } from '../components/useLoad';

interface Row { agentType: string; capabilities: string }

const toRows = (grants: AgentGrant[]): Row[] =>
  grants.map((g) => ({ agentType: g.agentType, capabilities: (g.capabilities ?? []).filter((c) => c !== '*').join(', ') }));

/** An empty capability list means every capability of the type ("*"). */
const toGrants = (rows: Row[]): AgentGrant[] => rows.map((r) => {
  const caps = r.capabilities.split(/[\s,]+/).filter(Boolean);
  return caps.length ? { agentType: r.agentType.trim(), capabilities: caps } : { agentType: r.agentType.trim() };
});

function GrantRow({ row, index, fieldErrors, onChange, onRemove }: {
  row: Row; index: number; fieldErrors: Record<string, string>; onChange: (r: Row) => void; onRemove: () => void;
}) {
  const id = useId();
  const typeError = fieldErrors[`grants[${index}].agent_type`] ?? fieldErrors[`grants[${index}]`];
  const capError = fieldErrors[`grants[${index}].capabilities`];
  return (
    <li className="grant-row" data-testid="grant-row">
      <div className="field">
        <label htmlFor={`${id}-t`}>Agent type (grant {index + 1})</label>
        <input id={`${id}-t`} list="agent-type-names" value={row.agentType} required aria-invalid={typeError ? true : undefined}
          aria-describedby={typeError ? `${id}-te` : undefined} onChange={(e) => onChange({ ...row, agentType: e.target.value })} />
        {typeError && <span id={`${id}-te`} className="error field-error">{typeError}</span>}
      </div>
      <div className="field grow">
        <label htmlFor={`${id}-c`}>Capabilities (grant {index + 1}; empty for all)</label>
        <input id={`${id}-c`} value={row.capabilities} placeholder="file:read, git:read" aria-invalid={capError ? true : undefined}
          aria-describedby={capError ? `${id}-ce` : undefined} onChange={(e) => onChange({ ...row, capabilities: e.target.value })} />
        {capError && <span id={`${id}-ce`} className="error field-error">{capError}</span>}
      </div>
      <button type="button" onClick={onRemove} aria-label={`Remove grant ${index + 1}`}>Remove</button>
    </li>
  );
}

function GrantsEditor({ role, initial, typeNames }: { role: string; initial: AgentGrant[]; typeNames: string[] }) {
  const { client } = useAuth();
  const announce = useAnnounce();
  const [rows, setRows] = useState<Row[]>(toRows(initial));
  const [error, setError] = useState('');
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    setFields({});
    try {
      const saved = await client.setRoleAgentGrants(role, toGrants(rows));
      setRows(toRows(saved.grants));
      announce(`Agent grants of role ${role} saved (${saved.grants.length})`);
    } catch (err) {
      const d = describeError(err);
      // The server numbers grants from 0; the form's labels from 1.
      setError(errorText(err).replace(/grants\[(\d+)\]\.?/g, (_m, i: string) => `grant ${Number(i) + 1} `));
      setFields(d.fields);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} aria-label={`Agent grants of role ${role}`}>
      <datalist id="agent-type-names">
        {['@common', '*', ...typeNames].map((n) => <option key={n} value={n} />)}
      </datalist>
      {rows.length === 0 && <p>No grants: holders of <code>{role}</code> may run no agent type through this role.</p>}
      <ol className="grant-list">
        {rows.map((r, i) => (
          <GrantRow key={i} row={r} index={i} fieldErrors={fields}
            onChange={(nr) => setRows(rows.map((x, j) => (j === i ? nr : x)))}
            onRemove={() => setRows(rows.filter((_, j) => j !== i))} />
        ))}
      </ol>
      <div className="row">
        <button type="button" onClick={() => setRows([...rows, { agentType: '', capabilities: '' }])}>Add grant</button>
        <button type="submit" disabled={busy} aria-busy={busy}>Save grants</button>
      </div>
      <p role="alert" className="error" data-testid="grants-error">{error}</p>
    </form>
  );
}

/** GET/PUT /admin/roles/{role}/agent-grants, with the server's validation messages per field. */
export function GrantsPage({ params }: { params: URLSearchParams }) {
  const { client } = useAuth();
  const id = useId();
  const role = (ROLES as readonly string[]).includes(params.get('role') ?? '') ? params.get('role')! : 'user';
  const grants = useLoad(() => client.getRoleAgentGrants(role), role);
  const types = useLoad(() => client.getAgentTypes(), 'types');
  return (
    <>
      <h1 tabIndex={-1}>Agents</h1>
      <AgentsNav />
      <h2>Role grants</h2>
      <p className="muted">Which agent types (and which of their capabilities) the holders of a role may run.
        <code>@common</code> names the common types, <code>*</code> every type.</p>
      <div className="field inline">
        <label htmlFor={`${id}-role`}>Role</label>
        <select id={`${id}-role`} value={role} onChange={(e) => go(href('/agents/grants', { role: e.target.value }))}>
          {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
      </div>
      <Status loading={grants.loading && !grants.data} error={grants.error} what="the grants" />
      {grants.data && grants.data.role === role && (
        <GrantsEditor key={role} role={role} initial={grants.data.grants} typeNames={(types.data ?? []).map((t) => t.name)} />
      )}
    </>
  );
}
