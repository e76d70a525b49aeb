// A bar chart in plain SVG: a few dozen bars do not need a charting library's hundred kilobytes.
export interface Bar {
  label: string;
  value: number;
}

export function BarChart({ bars, title, height = 140 }: { bars: Bar[]; title: string; height?: number }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  // A fixed width per bar; the SVG scales as a whole (aspect ratio kept, so labels are never stretched).
  const width = Math.max(bars.length * 64, 320);
  const barWidth = width / Math.max(bars.length, 1);
  return (
    <svg className="chart" role="img" aria-label={title} viewBox={`0 0 ${width} ${height + 20}`}>
      <title>{title}</title>
      {bars.map((bar, i) => {
        const h = (bar.value / max) * (height - 14);
        const x = i * barWidth + 3;
        return (
          <g key={bar.label}>
            <rect x={x} y={height - h} width={barWidth - 6} height={h} rx={2}>
              <title>{`${bar.label}: ${bar.value}`}</title>
            </rect>
            {bar.value > 0 && (
              <text x={x + (barWidth - 6) / 2} y={height - h - 3} textAnchor="middle" className="chart-value">
                {bar.value}
              </text>
            )}
            <text x={x + (barWidth - 6) / 2} y={height + 14} textAnchor="middle" className="chart-label">
              {bar.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
