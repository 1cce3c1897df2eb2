import { useCallback, useEffect, useRef, useState } from 'react';
import { errorText } from '../api';

export interface Loaded<T> { data: T | null; error: string; loading: boolean; reload: () => void }

/** Runs `load` when `key` changes (and on reload()); the newest answer wins. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const run = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const mine = ++run.current;
    setLoading(true);
    loadRef.current().then(
      (d) => { if (mine === run.current) { setData(d); setError(''); } },
      (e) => { if (mine === run.current) setError(errorText(e)); },
    ).finally(() => { if (mine === run.current) setLoading(false); });
  }, [key, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
