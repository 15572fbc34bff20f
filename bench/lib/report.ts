/** The bench's one table (for the terminal and bench/README.md) and its chart (an SVG by hand). */

export interface Row {
  /** Stable key, e.g. `me@1`. */
  key: string;
  label: string;
  workers: number | null;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  /** CPU of the load driver and of the service over the window, percent of one core. */
  driverCpuPct: number | null;
  serviceCpuPct: number | null;
  /** The service's CPU time per successful request, in µs: steadier than req/s on a busy machine. */
  serviceCpuUsPerRequest: number | null;
  /** The embedded database's CPU time per successful request (or statement pair), in µs. */
  databaseCpuUsPerRequest: number | null;
}

export interface Target {
  name: string;
  value: string;
  goal: string;
  met: boolean;
}

export function formatTable(rows: Row[], targets: Target[], extra: string[]): string {
  const header = [
    'scenario',
    'workers',
    'conns',
    'req/s',
    'p50 ms',
    'p99 ms',
    'failed',
    'client CPU',
    'service CPU',
    'service µs/req',
    'db µs/req',
  ];
  const body = rows.map((row) => [
    row.label,
    row.workers === null ? '-' : String(row.workers),
    String(row.connections),
    fixed(row.rps, 0),
    fixed(row.p50, 2),
    fixed(row.p99, 2),
    String(row.failed),
    row.driverCpuPct === null ? '-' : `${fixed(row.driverCpuPct, 0)}%`,
    row.serviceCpuPct === null ? '-' : `${fixed(row.serviceCpuPct, 0)}%`,
    row.serviceCpuUsPerRequest === null ? '-' : fixed(row.serviceCpuUsPerRequest, 0),
    row.databaseCpuUsPerRequest === null ? '-' : fixed(row.databaseCpuUsPerRequest, 0),
  ]);
  const lines = [
    markdownTable(header, body, [
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ]),
  ];
  lines.push('');
  lines.push(
    markdownTable(
      ['target', 'measured', 'goal', 'met'],
      targets.map((target) => [target.name, target.value, target.goal, target.met ? 'yes' : 'NO']),
      [false, true, false, false],
    ),
  );
  if (extra.length) lines.push('', ...extra);
  return lines.join('\n');
}

function markdownTable(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => row[i].length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((width, i) => (right[i] ? `${'-'.repeat(width + 1)}:` : `${'-'.repeat(width + 2)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** Two panels of horizontal bars: requests/s and p99 latency, one bar per scenario. */
export function renderSvg(rows: Row[], title: string, subtitle: string): string {
  const labelWidth = 300;
  const barWidth = 330;
  const panelGap = 120;
  const rowHeight = 24;
  const top = 70;
  const width = labelWidth + 2 * barWidth + panelGap + 40;
  const height = top + rows.length * rowHeight + 30;
  const maxRps = Math.max(...rows.map((row) => row.rps).filter(Number.isFinite), 1);
  const maxP99 = Math.max(...rows.map((row) => row.p99).filter(Number.isFinite), 1);
  const colour = (row: Row) =>
    row.workers === null ? '#8c8c8c' : row.workers > 1 ? '#e3883b' : '#3b7de3';

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="bold">${escape(title)}</text>`,
    `<text x="16" y="42" fill="#555">${escape(subtitle)}</text>`,
    `<text x="${labelWidth}" y="${top - 8}" font-weight="bold">requests/s (successful)</text>`,
    `<text x="${labelWidth + barWidth + panelGap}" y="${top - 8}" font-weight="bold">p99 latency (ms)</text>`,
  ];
  rows.forEach((row, i) => {
    const y = top + i * rowHeight;
    const rpsWidth = Number.isFinite(row.rps) ? Math.max(1, (row.rps / maxRps) * barWidth) : 0;
    const p99Width = Number.isFinite(row.p99) ? Math.max(1, (row.p99 / maxP99) * barWidth) : 0;
    const x2 = labelWidth + barWidth + panelGap;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escape(row.label)}${row.workers ? ` · ${row.workers}w` : ''}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${rpsWidth.toFixed(1)}" height="${rowHeight - 8}" fill="${colour(row)}"/>`,
      `<text x="${labelWidth + rpsWidth + 4}" y="${y + 15}">${fixed(row.rps, 0)}</text>`,
      `<rect x="${x2}" y="${y + 4}" width="${p99Width.toFixed(1)}" height="${rowHeight - 8}" fill="${colour(row)}" opacity="0.75"/>`,
      `<text x="${x2 + p99Width + 4}" y="${y + 15}">${fixed(row.p99, 1)}</text>`,
    );
  });
  const legendY = height - 10;
  parts.push(
    `<rect x="16" y="${legendY - 10}" width="10" height="10" fill="#3b7de3"/><text x="30" y="${legendY}">1 worker</text>`,
    `<rect x="100" y="${legendY - 10}" width="10" height="10" fill="#e3883b"/><text x="114" y="${legendY}">2 workers</text>`,
    `<rect x="190" y="${legendY - 10}" width="10" height="10" fill="#8c8c8c"/><text x="204" y="${legendY}">limit, without the service</text>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
