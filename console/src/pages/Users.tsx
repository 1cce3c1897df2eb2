import { useId, useState, type FormEvent } from 'react';
import { useAuth } from '@archon/auth-react';
import type { UserQuery } from '@archon/auth-client';
import { formatTime } from '../api';
import { ROLES } from '../access';
import { go, href } from '../router';
import { Link } from '../components/Link';
import { Pager } from '../components/Pager';
import { Status } from '../components/Status';
import { TableWrap } from '../components/TableWrap';
import { useLoad } from '../components/useLoad';

const SORTS = ['created_at', 'email', 'name', 'last_login'] as const;
type Sort = (typeof SORTS)[number];

/** The filters live in the address (q, role, active, sort, order, page), so Back and links work. */
function filtersOf(params: URLSearchParams) {
  return {
    q: params.get('q') ?? '',
    role: params.get('role') ?? '',
    active: params.get('active') ?? '',
    sort: (SORTS as readonly string[]).includes(params.get('sort') ?? '') ? (params.get('sort') as Sort) : 'created_at',
    order: params.get('order') === 'asc' ? 'asc' : 'desc',
    page: Math.max(1, Number(params.get('page')) || 1),
    limit: Math.min(100, Math.max(1, Number(params.get('limit')) || 20)),
  } as const;
}
type Filters = ReturnType<typeof filtersOf>;

function usersHref(f: Filters, page = 1): string {
  return href('/users', { q: f.q, role: f.role, active: f.active, sort: f.sort === 'created_at' ? undefined : f.sort,
    order: f.order === 'desc' ? undefined : f.order, page: page === 1 ? undefined : page, limit: f.limit === 20 ? undefined : f.limit });
}

function FilterForm({ initial }: { initial: Filters }) {
  const id = useId();
  const [f, setF] = useState(initial);
  const submit = (e: FormEvent) => { e.preventDefault(); go(usersHref(f)); };
  return (
    <form className="filters" role="search" aria-label="Filter users" onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-q`}>Search</label>
        <input id={`${id}-q`} type="search" value={f.q} placeholder="email or name" onChange={(e) => setF({ ...f, q: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-role`}>Role</label>
        <select id={`${id}-role`} value={f.role} onChange={(e) => setF({ ...f, role: e.target.value })}>
          <option value="">Any role</option>
          {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-active`}>Status</label>
        <select id={`${id}-active`} value={f.active} onChange={(e) => setF({ ...f, active: e.target.value })}>
          <option value="">Active and inactive</option>
          <option value="true">Active</option>
          <option value="false">Deactivated</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-sort`}>Sort by</label>
        <select id={`${id}-sort`} value={f.sort} onChange={(e) => setF({ ...f, sort: e.target.value as Sort })}>
          {SORTS.map((s) => <option key={s} value={s}>{s.replace('_', ' ')}</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-order`}>Order</label>
        <select id={`${id}-order`} value={f.order} onChange={(e) => setF({ ...f, order: e.target.value as 'asc' | 'desc' })}>
          <option value="desc">Descending</option>
          <option value="asc">Ascending</option>
        </select>
      </div>
      <button type="submit">Apply filters</button>
    </form>
  );
}

export function UsersPage({ params }: { params: URLSearchParams }) {
  const { client } = useAuth();
  const f = filtersOf(params);
  const query: UserQuery = {
    page: f.page, limit: f.limit, sortBy: f.sort, sortOrder: f.order, q: f.q || undefined, role: f.role || undefined,
    isActive: f.active === '' ? undefined : f.active === 'true',
  };
  const key = JSON.stringify(query);
  const { data, error, loading } = useLoad(() => client.listUsers(query), key);

  return (
    <>
      <h1 tabIndex={-1}>Users</h1>
      <FilterForm key={key} initial={f} />
      <Status loading={loading} error={error} what="users" />
      {data && (
        <section aria-label="Matching users">
          <p role="status" className="muted" data-testid="users-count">{data.pagination?.total ?? data.items.length} users match.</p>
          <TableWrap label="Users table">
            <table className="stacked">
              <caption className="visually-hidden">Users, sorted by {f.sort.replace('_', ' ')} ({f.order === 'asc' ? 'ascending' : 'descending'})</caption>
              <thead><tr><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Roles</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Last login</th></tr></thead>
              <tbody>
                {data.items.map((u) => (
                  <tr key={u.id} data-testid="user-row">
                    <td data-label="Email"><Link href={href(`/users/${encodeURIComponent(u.id)}`)}>{u.email}</Link></td>
                    <td data-label="Name">{u.name}</td>
                    <td data-label="Roles">{u.roles.join(', ')}</td>
                    <td data-label="Status">{u.isActive ? 'active' : 'deactivated'}{u.emailVerified ? '' : ', unverified'}</td>
                    <td data-label="Created">{formatTime(u.createdAt)}</td>
                    <td data-label="Last login">{formatTime(u.lastLogin)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          <Pager pagination={data.pagination} hrefFor={(p) => usersHref(f, p)} label="Users pages" />
        </section>
      )}
    </>
  );
}
