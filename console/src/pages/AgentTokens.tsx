import { useState } from 'react';
import { useAuth } from '@archon/auth-react';
import { errorText } from '../api';
import { buildLineage, subtreeSize, type LineageNode } from '../lineage';
import { AgentNode, useNow } from '../components/AgentNode';
import { AgentsNav } from '../components/AgentsNav';
import { Status } from '../components/Status';
import { useAnnounce } from '../components/Announcer';
import { useLoad } from '../components/useLoad';

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
        Every account's tokens, revoking any one of them with its subtree, and the kill switch are under All live tokens.</p>
      <div className="row">
        <button type="button" onClick={reload}>Refresh list</button>
      </div>
      <Status loading={loading && !data} error={loadError} what="agent tokens" />
      <p role="alert" className="error">{error}</p>
      {data && roots.length === 0 && <p>No live agent tokens.</p>}
      {roots.length > 0 && (
        <ul className="agent-tree" aria-label="Agent token lineage">
          {roots.map((r) => <AgentNode key={r.token.agentId} node={r} now={now} onRevoke={(n) => void revoke(n)} />)}
        </ul>
      )}
    </>
  );
}
