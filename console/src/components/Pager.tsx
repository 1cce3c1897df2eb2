import type { Pagination } from '@archon/auth-client';
import { Link } from './Link';

/** Previous/next links as the API pages (meta.pagination), with the position announced in text. */
export function Pager({ pagination, hrefFor, label }: { pagination?: Pagination; hrefFor: (page: number) => string; label: string }) {
  if (!pagination) return null;
  const { page, totalPages, total, hasPrev, hasNext } = pagination;
  return (
    <nav className="pager" aria-label={label}>
      {hasPrev ? <Link href={hrefFor(page - 1)} rel="prev">Previous page</Link> : <span className="muted">Previous page</span>}
      <span>Page {page} of {Math.max(totalPages, 1)} ({total} in all)</span>
      {hasNext ? <Link href={hrefFor(page + 1)} rel="next">Next page</Link> : <span className="muted">Next page</span>}
    </nav>
  );
}
