import { useEffect, useMemo, useState, type MouseEvent } from 'react';

// A tiny router inside the URL fragment: the server serves the console at /admin only (and its
// two assets), so every page lives after the '#': /admin#/users?q=ada, /admin#/users/{id}.
// Links are fragment-only ("#/users"), so they resolve against wherever the page was loaded
// (/admin from the binary, /admin/ from vite's dev server) and never leave the document.

export interface Route { path: string; params: URLSearchParams }

/** The route part of a fragment; anything not starting with "#/" (e.g. "#main") is Overview. */
function fragment(): string {
  const { hash } = window.location;
  return hash.startsWith('#/') ? hash.slice(1) : '/';
}

function parse(frag: string): Route {
  const q = frag.indexOf('?');
  const path = (q < 0 ? frag : frag.slice(0, q)).replace(/\/+$/, '') || '/';
  return { path, params: new URLSearchParams(q < 0 ? '' : frag.slice(q + 1)) };
}

const listeners = new Set<() => void>();

export function href(path: string, params?: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

/** Navigates within the document (one history entry, or replacing the current one). */
export function go(to: string, replace = false): void {
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  listeners.forEach((l) => l());
}

/** The current route; follows go(), back/forward (popstate) and edits of the address (hashchange). */
export function useRoute(): Route {
  const [frag, setFrag] = useState(fragment);
  useEffect(() => {
    const on = () => setFrag(fragment());
    listeners.add(on);
    window.addEventListener('popstate', on);
    window.addEventListener('hashchange', on);
    return () => {
      listeners.delete(on);
      window.removeEventListener('popstate', on);
      window.removeEventListener('hashchange', on);
    };
  }, []);
  return useMemo(() => parse(frag), [frag]);
}

/** Client-side navigation for a plain click; modified clicks (new tab...) stay with the browser. */
export function onLinkClick(e: MouseEvent<HTMLAnchorElement>): void {
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  go(e.currentTarget.getAttribute('href')!);
}
