import { useId, useState, type FormEvent } from 'react';
import { useAuth } from '@archon/auth-react';
import { adminApi, type AdminAgentToken } from '../admin-api';
import { accessOf } from '../access';
import { describeError } from '../api';
import { buildLineage, subtreeSize, type LineageNode } from '../lineage';
import { go, href } from '../router';
import { AgentNode, RevokeLabel, useNow } from '../components/AgentNode';
import { AgentsNav } from '../components/AgentsNav';
import { ConfirmButton } from '../components/ConfirmButton';
import { FieldError, invalidProps } from '../components/FieldError';
import { Pager } from '../components/Pager';
import { Status } from '../components/Status';
import { useAnnounce } from '../components/Announcer';
import { useLoad } from '../components/useLoad';

const LIMIT = 50;

function filtersOf(params: URLSearchParams) {
  return { userId: params.get('user_id') ?? '', agentType: params.get('agent_type') ?? '', page: Math.max(1, Number(params.get('page')) || 1) };
}
type Filters = ReturnType<typeof filtersOf>;

const pageHref = (f: Filters, page = 1) =>
  href('/agents/all', { user_id: f.userId.trim(), agent_type: f.agentType.trim(), page: page === 1 ? undefined : page });

/** The catalog's agent type names, offered by the type fields (any name is accepted). */
function AgentTypeOptions({ id }: { id: string }) {
  const { client } = useAuth();
  const { data } = useLoad(() => client.getAgentTypes(), 'agent-types');
  return <datalist id={id}>{(data ?? []).map((t) => <option key={t.name} value={t.name} />)}</datalist>;
}

function FilterForm({ initial, typesId }: { initial: Filters; typesId: string }) {
  const id = useId();
  const [f, setF] = useState(initial);
  const submit = (e: FormEvent) => { e.preventDefault(); go(pageHref(f)); };
  return (
    <form className="filters" role="search" aria-label="Filter agent tokens" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-u`}>Account (user id)</label>
        <input id={`${id}-u`} value={f.userId} placeholder="user_…" onChange={(e) => setF({ ...f, userId: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-t`}>Agent type</label>
        <input id={`${id}-t`} list={typesId} value={f.agentType} onChange={(e) => setF({ ...f, agentType: e.target.value })} />
      </div>
      <button type="submit">Apply filters</button>
    </form>
  );
}

function describeTarget(userId: string, agentType: string): string {
  const parts = [userId && `of account ${userId}`, agentType && `of type ${agentType}`].filter(Boolean);
  return parts.length ? parts.join(' and ') : '(name an account, a type or both)';
}

/** POST /admin/agents/revoke: every live token of a user and/or an agent type, with descendants. */
function KillSwitch({ initial, typesId, onRevoked }: { initial: Filters; typesId: string; onRevoked: () => void }) {
  const { client } = useAuth();
  const announce = useAnnounce();
  const id = useId();
  const [userId, setUserId] = useState(initial.userId);
  const [agentType, setAgentType] = useState(initial.agentType);
  const [result, setResult] = useState('');
  const [error, setError] = useState('');
  const [fields, setFields] = useState<Record<string, string>>({});
  const revoke = async () => {
    setError(''); setFields({}); setResult('');
    const target = { userId: userId.trim() || undefined, agentType: agentType.trim() || undefined };
    try {
      const { revoked } = await adminApi.revokeAgents(client, target);
      const text = `${revoked} agent token${revoked === 1 ? '' : 's'} revoked ${describeTarget(target.userId ?? '', target.agentType ?? '')}`;
      setResult(text);
      announce(text);
      onRevoked();
    } catch (e) {
      const d = describeError(e);
      setError(d.message);
      setFields(d.fields);
    }
  };
  return (
    <form className="card" aria-labelledby={`${id}-h`} onSubmit={(e) => e.preventDefault()} noValidate>
      <h2 id={`${id}-h`}>Kill switch</h2>
      <p className="muted">Revokes every live agent token of an account, of an agent type, or of both at once, with all their
        delegated descendants, on every instance. Tokens minted later are not affected.</p>
      <div className="form-grid">
        <div className="field">
          <label htmlFor={`${id}-u`}>Account (user id)</label>
          <input id={`${id}-u`} value={userId} placeholder="user_…" onChange={(e) => setUserId(e.target.value)}
            {...invalidProps(`${id}-ue`, fields.user_id)} />
          <FieldError id={`${id}-ue`} message={fields.user_id} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-t`}>Agent type</label>
          <input id={`${id}-t`} list={typesId} value={agentType} onChange={(e) => setAgentType(e.target.value)}
            {...invalidProps(`${id}-te`, fields.agent_type)} />
          <FieldError id={`${id}-te`} message={fields.agent_type} />
        </div>
      </div>
      <div className="row">
        <ConfirmButton label="Revoke all matching tokens" confirmLabel="Yes, revoke them all"
          question={`Revoke every live agent token ${describeTarget(userId.trim(), agentType.trim())}?`} onConfirm={revoke} />
      </div>
      <p role="alert" className="error" data-testid="kill-switch-error">{error}</p>
      <p role="status" data-testid="kill-switch-result">{result}</p>
    </form>
  );
}

type Node = LineageNode<AdminAgentToken>;

/**
 * DELETE /admin/agents/tokens/{id}: one node of any account's lineage and everything delegated
 * from it. The count is the server's (descendants on other pages or pages not loaded included).
 */
function useNodeRevoke(onRevoked: () => void) {
  const { client } = useAuth();
  const announce = useAnnounce();
  const [result, setResult] = useState('');
  const [error, setError] = useState('');
  const revoke = async (node: Node) => {
    setError(''); setResult('');
    const t = node.token;
    try {
      const { revoked } = await adminApi.revokeAgentToken(client, t.agentId);
      const text = `Revoked ${revoked} token${revoked === 1 ? '' : 's'}: ${t.agentId} of ${t.userId} and its delegated descendants`;
      setResult(text);
      announce(text);
    } catch (e) {
      setError(describeError(e).message);
    }
    onRevoked(); // a 404 (gone meanwhile) refreshes the tree too
  };
  const button = (node: Node) => {
    const below = subtreeSize(node) - 1;
    return (
      <ConfirmButton label={<RevokeLabel node={node} />} confirmLabel="Yes, revoke"
        question={`Revoke ${node.token.agentId} of ${node.token.userId}${below ? ` and the ${below} token(s) delegated from it` : ''}?`}
        onConfirm={() => revoke(node)} />
    );
  };
  const messages = (
    <>
      <p role="alert" className="error" data-testid="node-revoke-error">{error}</p>
      <p role="status" data-testid="node-revoke-result">{result}</p>
    </>
  );
  return { button, messages };
}

/** Every account's live agent tokens (GET /admin/agents/tokens), as lineage trees, and the kill switch. */
export function AllAgentTokensPage({ params }: { params: URLSearchParams }) {
  const { client, user } = useAuth();
  const canEdit = accessOf(user).editUsers;
  const typesId = useId();
  const now = useNow(1000);
  const f = filtersOf(params);
  const key = JSON.stringify(f);
  const { data, error, loading, reload } = useLoad(
    () => adminApi.listAgentTokens(client, { page: f.page, limit: LIMIT, userId: f.userId || undefined, agentType: f.agentType || undefined }), key);
  const roots = data ? buildLineage(data.items) : [];
  const nodeRevoke = useNodeRevoke(reload);
  return (
    <>
      <h1 tabIndex={-1}>Agents</h1>
      <AgentsNav />
      <AgentTypeOptions id={typesId} />
      {canEdit && <KillSwitch key={key} initial={f} typesId={typesId} onRevoked={reload} />}
      <h2>Live agent tokens of every account</h2>
      <p className="muted">Grouped by delegation (root → children); a token whose parent is on another page or already gone
        is shown as a root. Revoking a token revokes every token delegated from it too, whoever holds them.</p>
      <FilterForm key={`f${key}`} initial={f} typesId={typesId} />
      <div className="row"><button type="button" onClick={reload}>Refresh list</button></div>
      <Status loading={loading && !data} error={error} what="agent tokens" />
      {canEdit && nodeRevoke.messages}
      {data && (
        <section aria-label="Live agent tokens">
          <p role="status" className="muted" data-testid="agent-count">{data.pagination?.total ?? data.items.length} live tokens match.</p>
          {roots.length > 0 && (
            <ul className="agent-tree" aria-label="Agent token lineage of every account">
              {roots.map((r) => <AgentNode key={r.token.agentId} node={r} now={now} actions={canEdit ? nodeRevoke.button : undefined} />)}
            </ul>
          )}
          <Pager pagination={data.pagination} hrefFor={(p) => pageHref(f, p)} label="Agent token pages" />
        </section>
      )}
    </>
  );
}
