import { useEffect, useState } from 'react';
import { fetchMetricsText, formatTime } from '../api';
import { FIGURES, figuresOf, increases, parsePrometheus, type Point } from '../metrics';
import { Sparkline } from '../components/Chart';

const HOUR = 60 * 60 * 1000;
const DEFAULT_INTERVAL = 15_000;

// Kept in memory for the page's lifetime (the last hour), so leaving Overview and coming back
// keeps the history; sampling runs only while Overview is open.
const history: Point[] = [];

/** ?sample=ms in the route (at least 1 s): the tests sample faster than the 15 s default. */
function intervalFrom(params: URLSearchParams): number {
  const asked = Number(params.get('sample'));
  return asked >= 1000 ? asked : DEFAULT_INTERVAL;
}

type State = { points: Point[]; unavailable: string; lastAt: number | null };

function useMetricsSampler(intervalMs: number): State {
  const [state, setState] = useState<State>({ points: [...history], unavailable: '', lastAt: history.at(-1)?.at ?? null });
  useEffect(() => {
    const ctl = new AbortController();
    const sample = async () => {
      const res = await fetchMetricsText(ctl.signal);
      if (ctl.signal.aborted) return;
      if (!res.ok) { setState((s) => ({ ...s, unavailable: res.reason })); return; }
      const now = Date.now();
      history.push({ at: now, totals: figuresOf(parsePrometheus(res.text)) });
      while (history.length && history[0]!.at < now - HOUR) history.shift();
      setState({ points: [...history], unavailable: '', lastAt: now });
    };
    void sample();
    const t = window.setInterval(() => void sample(), intervalMs);
    return () => { ctl.abort(); window.clearInterval(t); };
  }, [intervalMs]);
  return state;
}

function Figure({ label, metric, points, windowMs, intervalS }: {
  label: string; metric: string; points: ReturnType<typeof increases>; windowMs: number; intervalS: number;
}) {
  const last = points.at(-1)?.value;
  const total = points.reduce((n, p) => n + p.value, 0);
  const summary = points.length === 0 ? 'waiting for a second sample'
    : `${last} in the last ${intervalS} s, ${total} since sampling began`;
  return (
    <figure className="card figure" data-testid="metric-figure">
      <figcaption><strong>{label}</strong> <span className="muted small">{metric}</span></figcaption>
      <p className="figure-value">{summary}</p>
      <Sparkline points={points} title={`${label} per ${intervalS} s`} windowMs={windowMs} />
    </figure>
  );
}

/** Live figures from GET /metrics, sampled while this page is open, the last hour in memory. */
export function OverviewPage({ params }: { params: URLSearchParams }) {
  const intervalMs = intervalFrom(params);
  const { points, unavailable, lastAt } = useMetricsSampler(intervalMs);
  const latest = points.at(-1)?.totals;
  const windowMs = Math.min(HOUR, Math.max(intervalMs * 4, (points.at(-1)?.at ?? 0) - (points[0]?.at ?? 0)));
  return (
    <>
      <h1 tabIndex={-1}>Overview</h1>
      <p className="muted" role="status" data-testid="metrics-status">
        {unavailable ? '' : lastAt ? `Sampled ${points.length} time(s) every ${intervalMs / 1000} s; last at ${formatTime(new Date(lastAt).toISOString())}.` : 'Sampling /metrics…'}
      </p>
      {unavailable && (
        <p role="alert" className="error" data-testid="metrics-unavailable">Metrics unavailable: {unavailable}.</p>
      )}
      <div className="figures">
        {FIGURES.map((f) => (
          latest && latest[f.key] === null
            ? <figure key={f.key} className="card figure"><figcaption><strong>{f.label}</strong></figcaption><p>Not exposed by this server's /metrics.</p></figure>
            : <Figure key={f.key} label={f.label} metric={f.metric} points={increases(points, f.key)} windowMs={windowMs} intervalS={intervalMs / 1000} />
        ))}
      </div>
      {latest && (
        <p className="muted small" data-testid="metric-totals">
          Totals since the server started: {FIGURES.map((f) => `${f.label.toLowerCase()} ${latest[f.key] ?? 'n/a'}`).join(' · ')}.
        </p>
      )}
    </>
  );
}
