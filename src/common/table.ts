// No Node imports here: the browser page formats with this too.

/** How a column is aligned: text columns to the left, numbers to the right. */
export type Align = 'left' | 'right';

/**
 * A plain-text table: every column as wide as its widest cell, cells two spaces apart, trailing blanks trimmed.
 * `align` gives each column's alignment (default: the first column left, the others right).
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const alignOf = (i: number): Align => align?.[i] ?? (i === 0 ? 'left' : 'right');
  const line = (cells: readonly string[]): string =>
    header
      .map((_, i) => (alignOf(i) === 'left' ? (cells[i] ?? '').padEnd(widths[i]!) : (cells[i] ?? '').padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
