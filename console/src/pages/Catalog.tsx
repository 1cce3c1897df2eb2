import { useAuth } from '@archon/auth-react';
import { AgentsNav } from '../components/AgentsNav';
import { Status } from '../components/Status';
import { TableWrap } from '../components/TableWrap';
import { useLoad } from '../components/useLoad';

/** GET /agents/types: the catalog, and whether the signed-in account may run each type. */
export function CatalogPage() {
  const { client } = useAuth();
  const { data, error, loading } = useLoad(() => client.getAgentTypes(), 'types');
  return (
    <>
      <h1 tabIndex={-1}>Agents</h1>
      <AgentsNav />
      <h2>Agent types</h2>
      <Status loading={loading} error={error} what="the catalog" />
      {data && (
        <TableWrap label="Agent types table">
          <table className="catalog stacked">
            <thead><tr><th scope="col">Type</th><th scope="col">Capabilities (* needs approval)</th><th scope="col">Default restrictions</th><th scope="col">Max lifetime</th><th scope="col">You may run it</th></tr></thead>
            <tbody>
              {data.map((t) => (
                <tr key={t.name} data-testid="agent-type-row">
                  <th scope="row"><code>{t.name}</code><div className="muted small">{t.description}</div></th>
                  <td data-label="Capabilities"><span>{t.capabilities.map((c) => <code key={c}>{c}{t.requiresApproval.includes(c) ? '*' : ''}</code>)}</span></td>
                  <td className="small" data-label="Restrictions"><span>
                    paths {t.defaultRestrictions.filePaths?.join(', ') || '—'}<br />
                    branches {t.defaultRestrictions.gitBranches?.join(', ') || '—'}<br />
                    max size {String(t.defaultRestrictions.maxFileSize ?? '—')}
                  </span></td>
                  <td data-label="Max lifetime">{t.maxTokenLifetimeSeconds} s</td>
                  <td data-label="You may run it">{t.runnable ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}
