import { useEffect, useState, type ReactNode } from 'react';
import type { AgentTokenInfo } from '@archon/auth-client';
import { formatTime } from '../api';
import { countdown, subtreeSize, type LineageNode } from '../lineage';
import { href } from '../router';
import { Link } from './Link';

/** The current time, re-read every `ms` (the expiry countdowns). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const t = window.setInterval(() => setNow(Date.now()), ms); return () => window.clearInterval(t); }, [ms]);
  return now;
}

function Restrictions({ r }: { r: AgentTokenInfo['restrictions'] }) {
  return (
    <>
      paths {r.filePaths?.map((p) => <code key={p}>{p}</code>) ?? '—'}; branches {r.gitBranches?.map((b) => <code key={b}>{b}</code>) ?? '—'}
      {r.maxFileSize !== undefined && <>; max size <code>{String(r.maxFileSize)}</code></>}
    </>
  );
}

type Token = AgentTokenInfo & { userId?: string };

/** The subtree revoke button's content: "Revoke" and, for screen readers, which token. */
export function RevokeLabel({ node }: { node: LineageNode<Token> }) {
  const size = subtreeSize(node);
  return <>Revoke <span className="visually-hidden">{node.token.agentType} {node.token.agentId} </span>with subtree ({size} token{size === 1 ? '' : 's'})</>;
}

/**
 * One token of a lineage tree and its delegated children. `onRevoke` adds a one-press subtree
 * revoke button (one's own tokens); `actions` renders any other controls per node (the admin
 * view's confirmed revoke). A token carrying `userId` (the admin view across users) links to its owner.
 */
export function AgentNode<T extends Token>({ node, now, onRevoke, actions }: {
  node: LineageNode<T>; now: number; onRevoke?: (n: LineageNode<T>) => void; actions?: (n: LineageNode<T>) => ReactNode;
}) {
  const t = node.token;
  return (
    <li className="agent-node" data-testid="agent-node" data-agent-id={t.agentId}>
      <div className="agent-card">
        <div className="agent-title">
          <strong>{t.agentType}</strong> <code>{t.agentId}</code> <span className="badge">depth {t.depth}</span>
        </div>
        <dl className="facts compact">
          {t.userId && <><dt>Account</dt><dd><Link href={href(`/users/${encodeURIComponent(t.userId)}`)}><code>{t.userId}</code></Link></dd></>}
          <dt>Capabilities</dt><dd>{t.capabilities.map((c) => <code key={c}>{c}</code>)}</dd>
          <dt>Restrictions</dt><dd><Restrictions r={t.restrictions} /></dd>
          <dt>Expires</dt><dd><span data-testid="countdown">{countdown(t.expiresAt, now)}</span> <span className="muted">({formatTime(t.expiresAt)})</span></dd>
          <dt>Session</dt><dd><code>{t.sessionId}</code></dd>
        </dl>
        {onRevoke && (
          <button type="button" className="danger" onClick={() => onRevoke(node)}><RevokeLabel node={node} /></button>
        )}
        {actions && <div className="row">{actions(node)}</div>}
      </div>
      {node.children.length > 0 && (
        <ul className="agent-children" aria-label={`Delegated by ${t.agentId}`}>
          {node.children.map((c) => <AgentNode key={c.token.agentId} node={c} now={now} onRevoke={onRevoke} actions={actions} />)}
        </ul>
      )}
    </li>
  );
}
