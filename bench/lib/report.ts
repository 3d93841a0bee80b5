// Statistics and the markdown tables of the bench report.

export type BrokerName = 'gregor' | 'reference';

/** Measured values of one row for one broker, or why there are none. */
export type Cell = { values: number[] } | { na: string } | { error: string };

export interface Row {
  scenario: string;
  unit: string;
  better: 'higher' | 'lower';
  cells: Record<BrokerName, Cell>;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function cellMedian(cell: Cell): number | null {
  return 'values' in cell && cell.values.length ? median(cell.values) : null;
}

/** Three significant digits with k/M suffixes: 1.23M, 386k, 2.71, 0.0843. */
export function sig(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a >= 1000) return v.toFixed(0);
  if (a === 0) return '0';
  return v.toPrecision(3);
}

export function formatCell(cell: Cell): string {
  if ('na' in cell) return 'n/a';
  if ('error' in cell) return 'error';
  if (!cell.values.length) return 'n/a';
  const m = sig(median(cell.values));
  if (cell.values.length === 1) return m;
  return `${m} (${sig(Math.min(...cell.values))}–${sig(Math.max(...cell.values))})`;
}

export function ratio(row: Row): number | null {
  const g = cellMedian(row.cells.gregor);
  const r = cellMedian(row.cells.reference);
  return g === null || r === null || r === 0 ? null : g / r;
}

export function markdownTable(header: string[], rows: string[][]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export function resultsTable(rows: Row[]): string {
  return markdownTable(
    ['Scenario', 'Gregor', 'Reference (mock)', 'Gregor / reference', 'Unit'],
    rows.map((row) => {
      const q = ratio(row);
      return [
        row.scenario,
        formatCell(row.cells.gregor),
        formatCell(row.cells.reference),
        q === null ? 'n/a' : `${q.toFixed(2)}×`,
        `${row.unit} (${row.better} is better)`,
      ];
    }),
  );
}
