import { useAuth } from '@archon/auth-react';
import { accessOf } from '../access';
import { href, useRoute } from '../router';
import { Link } from './Link';

/** The Agents section's own pages. */
export function AgentsNav() {
  const { path } = useRoute();
  const { user } = useAuth();
  const items = [
    { path: '/agents', label: 'My agent tokens' },
    ...(accessOf(user).users ? [{ path: '/agents/all', label: 'All live tokens' }] : []),
    ...(accessOf(user).grants ? [{ path: '/agents/grants', label: 'Role grants' }] : []),
    { path: '/agents/catalog', label: 'Agent types' },
  ];
  return (
    <nav aria-label="Agents pages" className="subnav">
      <ul className="nav-list">
        {items.map((i) => (
          <li key={i.path}><Link href={href(i.path)} aria-current={path === i.path ? 'page' : undefined}>{i.label}</Link></li>
        ))}
      </ul>
    </nav>
  );
}
