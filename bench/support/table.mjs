const NUMBER_LIKE = /^(-|[-+]?\d[\d.,]*(e[-+]?\d+)?\s*(%|x|ms|MiB)?)$/;

/**
 * A plain-text table: a title, a header row and rows of cells (strings or
 * numbers, already formatted by the caller). Columns of numbers are
 * right-aligned, the others left-aligned.
 */
export function formatTable(title, headers, rows) {
  const cells = [headers, ...rows].map((row) => row.map((cell) => String(cell)));
  const numeric = headers.map((_, column) => cells.slice(1).every((row) => NUMBER_LIKE.test(row[column])));
  const widths = headers.map((_, column) => cells.reduce((width, row) => Math.max(width, row[column].length), 0));
  const line = (row) =>
    row
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [title, line(cells[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** `value` with `digits` decimals, or '-' where there is no value. */
export function fixed(value, digits) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '-';
}
