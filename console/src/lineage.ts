import type { AgentTokenInfo } from '@archon/auth-client';

export interface LineageNode<T extends AgentTokenInfo = AgentTokenInfo> { token: T; children: LineageNode<T>[] }

/**
 * Trees from the flat list (parent_agent_id): a token whose parent is not listed (expired or
 * revoked already) is shown as a root of its own.
 */
export function buildLineage<T extends AgentTokenInfo>(tokens: T[]): LineageNode<T>[] {
  const nodes = new Map(tokens.map((t) => [t.agentId, { token: t, children: [] as LineageNode<T>[] }]));
  const roots: LineageNode<T>[] = [];
  for (const node of nodes.values()) {
    const parent = node.token.parentAgentId ? nodes.get(node.token.parentAgentId) : undefined;
    if (parent) parent.children.push(node); else roots.push(node);
  }
  const byCreation = (a: LineageNode<T>, b: LineageNode<T>) => a.token.createdAt - b.token.createdAt;
  const sort = (list: LineageNode<T>[]) => { list.sort(byCreation); list.forEach((n) => sort(n.children)); };
  sort(roots);
  return roots;
}

export function subtreeSize(node: LineageNode): number {
  return 1 + node.children.reduce((n, c) => n + subtreeSize(c), 0);
}

/** "12m 05s" left; "expired" at or after expiry. */
export function countdown(expiresAtSeconds: number, nowMs: number): string {
  const left = Math.floor(expiresAtSeconds - nowMs / 1000);
  if (left <= 0) return 'expired';
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = String(left % 60).padStart(2, '0');
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m ${s}s` : `${m}m ${s}s`;
}
