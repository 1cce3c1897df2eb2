import { useEffect, useState, type MouseEvent } from 'react';

// A tiny history router under /admin: the server answers index.html for every /admin/... path.
export const BASE = '/admin';

export interface Route { path: string; params: URLSearchParams }

function read(): Route {
  const { pathname, search } = window.location;
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  return { path: rest.replace(/\/+$/, '') || '/', params: new URLSearchParams(search) };
}

const listeners = new Set<() => void>();

export function href(path: string, params?: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `${BASE}${path === '/' ? '/' : path}${s ? `?${s}` : ''}`;
}

export function go(to: string, replace = false): void {
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  listeners.forEach((l) => l());
}

export function useRoute(): Route {
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    listeners.add(on);
    window.addEventListener('popstate', on);
    return () => { listeners.delete(on); window.removeEventListener('popstate', on); };
  }, []);
  return route;
}

/** Client-side navigation for a plain click; modified clicks (new tab...) stay with the browser. */
export function onLinkClick(e: MouseEvent<HTMLAnchorElement>): void {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  go(e.currentTarget.getAttribute('href')!);
}
