/**
 * bench/chart.svg: one small line chart per series (latency over time during the purchase
 * rounds, the outbox backlog, the revenue read by ledger size...). Plain SVG, so it renders
 * on GitHub and in any browser; the data is in bench/results.json too.
 */
const PANEL = { width: 420, height: 220, margin: 44 };
const COLUMNS = 2;

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const label = (n: number) =>
  Math.abs(n) >= 1000 ? `${Math.round(n / 100) / 10}k` : `${Math.round(n * 10) / 10}`;

function panel(title: string, points: [number, number][], x: number, y: number): string {
  const { width, height, margin } = PANEL;
  const xs = points.map(([px]) => px);
  const ys = points.map(([, py]) => py);
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const yMax = Math.max(...ys, 1);
  const plotW = width - 2 * margin;
  const plotH = height - 2 * margin;
  const sx = (v: number) =>
    margin + (xMax === xMin ? plotW / 2 : ((v - xMin) / (xMax - xMin)) * plotW);
  const sy = (v: number) => height - margin - (v / yMax) * plotH;
  const line = points.map(([px, py]) => `${sx(px).toFixed(1)},${sy(py).toFixed(1)}`).join(' ');
  return `<g transform="translate(${x},${y})">
  <text x="${margin}" y="22" font-size="13" font-weight="bold">${escape(title)}</text>
  <line x1="${margin}" y1="${height - margin}" x2="${width - margin}" y2="${height - margin}" stroke="#888"/>
  <line x1="${margin}" y1="${margin}" x2="${margin}" y2="${height - margin}" stroke="#888"/>
  <text x="${margin - 4}" y="${margin + 4}" font-size="10" text-anchor="end">${label(yMax)}</text>
  <text x="${margin - 4}" y="${height - margin}" font-size="10" text-anchor="end">0</text>
  <text x="${margin}" y="${height - margin + 14}" font-size="10">${label(xMin)}</text>
  <text x="${width - margin}" y="${height - margin + 14}" font-size="10" text-anchor="end">${label(xMax)}</text>
  <polyline fill="none" stroke="#1f6feb" stroke-width="2" points="${line}"/>
  ${points.map(([px, py]) => `<circle cx="${sx(px).toFixed(1)}" cy="${sy(py).toFixed(1)}" r="2" fill="#1f6feb"/>`).join('')}
</g>`;
}

export function drawChart(series: Record<string, [number, number][]>): string {
  const entries = Object.entries(series).filter(([, points]) => points.length > 0);
  const rows = Math.max(1, Math.ceil(entries.length / COLUMNS));
  const width = PANEL.width * COLUMNS;
  const height = PANEL.height * rows;
  const panels = entries.map(([title, points], i) =>
    panel(title, points, (i % COLUMNS) * PANEL.width, Math.floor(i / COLUMNS) * PANEL.height),
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${panels.join('\n')}
</svg>
`;
}
