import { useEffect, useState } from 'react';
import { useAuth } from '@archon/auth-react';
import { errorText, formatTime } from '../api';
import { buildLineage, countdown, subtreeSize, type LineageNode } from '../lineage';
import { AgentsNav } from '../components/AgentsNav';
import { Status } from '../components/Status';
import { useAnnounce } from '../components/Announcer';
import { useLoad } from '../components/useLoad';

function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const t = window.setInterval(() => setNow(Date.now()), ms); return () => window.clearInterval(t); }, [ms]);
  return now;
}

function Restrictions({ r }: { r: LineageNode['token']['restrictions'] }) {
  return (
    <>
      paths {r.filePaths?.map((p) => <code key={p}>{p}</code>) ?? '—'}; branches {r.gitBranches?.map((b) => <code key={b}>{b}</code>) ?? '—'}
      {r.maxFileSize !== undefined && <>; max size <code>{String(r.maxFileSize)}</code></>}
    </>
  );
}

function Node({ node, now, onRevoke }: { node: LineageNode; now: number; onRevoke: (n: LineageNode) => void }) {
  const t = node.token;
  const size = subtreeSize(node);
  return (
    <li className="agent-node" data-testid="agent-node" data-agent-id={t.agentId}>
      <div className="agent-card">
        <div className="agent-title">
          <strong>{t.agentType}</strong> <code>{t.agentId}</code> <span className="badge">depth {t.depth}</span>
        </div>
        <dl className="facts compact">
          <dt>Capabilities</dt><dd>{t.capabilities.map((c) => <code key={c}>{c}</code>)}</dd>
          <dt>Restrictions</dt><dd><Restrictions r={t.restrictions} /></dd>
          <dt>Expires</dt><dd><span data-testid="countdown">{countdown(t.expiresAt, now)}</span> <span className="muted">({formatTime(t.expiresAt)})</span></dd>
          <dt>Session</dt><dd><code>{t.sessionId}</code></dd>
        </dl>
        <button type="button" className="danger" onClick={() => onRevoke(node)}>
          Revoke <span className="visually-hidden">{t.agentType} {t.agentId} </span>with subtree ({size} token{size === 1 ? '' : 's'})
        </button>
      </div>
      {node.children.length > 0 && (
        <ul className="agent-children" aria-label={`Delegated by ${t.agentId}`}>
          {node.children.map((c) => <Node key={c.token.agentId} node={c} now={now} onRevoke={onRevoke} />)}
        </ul>
      )}
    </li>
  );
}

/** The signed-in administrator's live agent tokens, as lineage trees (the API lists only one's own). */
export function AgentTokensPage() {
  const { client } = useAuth();
  const announce = useAnnounce();
  const now = useNow(1000);
  const [error, setError] = useState('');
  const { data, error: loadError, loading, reload } = useLoad(() => client.listAgentTokens(), 'tokens');
  const revoke = async (node: LineageNode) => {
    setError('');
    try {
      await client.revokeAgentToken(node.token.agentId);
      announce(`Revoked ${node.token.agentId} and ${subtreeSize(node) - 1} delegated token(s)`);
      reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const roots = data ? buildLineage(data) : [];
  return (
    <>
      <h1 tabIndex={-1}>Agents</h1>
      <AgentsNav />
      <h2>My live agent tokens</h2>
      <p className="muted">Tokens minted for your account by any of your sessions, grouped by delegation (root → children).
        The API lists only the signed-in account's own tokens.</p>
      <div className="row">
        <button type="button" onClick={reload}>Refresh list</button>
      </div>
      <Status loading={loading && !data} error={loadError} what="agent tokens" />
      <p role="alert" className="error">{error}</p>
      {data && roots.length === 0 && <p>No live agent tokens.</p>}
      {roots.length > 0 && (
        <ul className="agent-tree" aria-label="Agent token lineage">
          {roots.map((r) => <Node key={r.token.agentId} node={r} now={now} onRevoke={(n) => void revoke(n)} />)}
        </ul>
      )}
    </>
  );
}
