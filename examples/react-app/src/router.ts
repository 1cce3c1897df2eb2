import { useEffect, useState } from 'react';

/** The hash route: `#/verify?token=x` -> {path: '/verify', params}. No router dependency needed. */
export function useRoute(): { path: string; params: URLSearchParams } {
  const read = () => {
    const hash = typeof window === 'undefined' ? '' : window.location.hash.slice(1);
    const [path, query] = hash.split('?');
    return { path: path || '/', params: new URLSearchParams(query ?? '') };
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function go(path: string): void {
  window.location.hash = path;
}
