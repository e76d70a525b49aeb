// Plain-text and Markdown tables for the terminal and for pasting into docs/benchmarks.md.

export type Cell = string | number | null | undefined;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Lines printed under the table (warnings, notes). */
  notes?: string[];
}

function text(cell: Cell): string {
  if (cell === null || cell === undefined) return '–';
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) return '–';
    return Number.isInteger(cell) ? cell.toLocaleString('en-US') : String(cell);
  }
  return cell;
}

/** Numbers (and "–") are right-aligned, text left-aligned. */
function isNumeric(cell: Cell): boolean {
  return typeof cell === 'number' || cell === null || cell === undefined || /^[\d.,+-]+(?:\s?[%x×]|\s?ms)?$/.test(cell);
}

export function renderText(table: Table): string {
  const cells = table.rows.map((row) => row.map(text));
  const widths = table.columns.map((column, i) => Math.max(column.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (values: string[], raw: Cell[] | undefined) =>
    values
      .map((value, i) => {
        const width = widths[i] ?? value.length;
        return raw && isNumeric(raw[i]) ? value.padStart(width) : value.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const out = [table.title, line(table.columns, undefined), widths.map((w) => '-'.repeat(w)).join('  ')];
  cells.forEach((row, r) => out.push(line(row, table.rows[r])));
  for (const note of table.notes ?? []) out.push(`  ${note}`);
  return out.join('\n');
}

export function renderMarkdown(table: Table): string {
  const cells = table.rows.map((row) => row.map(text));
  const align = table.columns.map((_, i) => (table.rows.every((row) => isNumeric(row[i])) ? '---:' : '---'));
  const out = [`| ${table.columns.join(' | ')} |`, `| ${align.join(' | ')} |`];
  for (const row of cells) out.push(`| ${row.join(' | ')} |`);
  return out.join('\n');
}
