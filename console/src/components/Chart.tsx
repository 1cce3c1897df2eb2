// A small line chart drawn as inline SVG (attributes only, no style attribute: the CSP forbids it).
const W = 320;
const H = 90;
const PAD = 4;

export function Sparkline({ points, title, windowMs }: { points: { at: number; value: number }[]; title: string; windowMs: number }) {
  const end = points.length ? points[points.length - 1]!.at : Date.now();
  const start = end - windowMs;
  const max = Math.max(1, ...points.map((p) => p.value));
  const x = (at: number) => PAD + ((at - start) / windowMs) * (W - 2 * PAD);
  const y = (v: number) => H - PAD - (v / max) * (H - 2 * PAD);
  const line = points.map((p) => `${x(p.at).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" aria-hidden="true" focusable="false">
      <title>{title}</title>
      <line className="chart-axis" x1={PAD} x2={W - PAD} y1={H - PAD} y2={H - PAD} />
      <line className="chart-grid" x1={PAD} x2={W - PAD} y1={PAD} y2={PAD} />
      {points.length > 1 && <polyline className="chart-line" points={line} />}
      {points.map((p) => <circle key={p.at} className="chart-dot" cx={x(p.at)} cy={y(p.value)} r={points.length > 40 ? 1 : 2} />)}
    </svg>
  );
}
