import { useEffect, useState } from 'react';
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

/**
 * One token of a lineage tree and its delegated children. `onRevoke` adds the subtree revoke
 * button (the API revokes only the caller's own tokens by id); a token carrying `userId` (the
 * admin view across users) links to its owner.
 */
export function AgentNode({ node, now, onRevoke }: { node: LineageNode<Token>; now: number; onRevoke?: (n: LineageNode<Token>) => void }) {
  const t = node.token;
  const size = subtreeSize(node);
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
          <button type="button" className="danger" onClick={() => onRevoke(node)}>
            Revoke <span className="visually-hidden">{t.agentType} {t.agentId} </span>with subtree ({size} token{size === 1 ? '' : 's'})
          </button>
        )}
      </div>
      {node.children.length > 0 && (
        <ul className="agent-children" aria-label={`Delegated by ${t.agentId}`}>
          {node.children.map((c) => <AgentNode key={c.token.agentId} node={c} now={now} onRevoke={onRevoke} />)}
        </ul>
      )}
    </li>
  );
}
