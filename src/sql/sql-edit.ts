/** Text to put in place of `sql.slice(start, end)`. */
export interface SqlEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** `sql` with `edits` applied; the edits must not overlap, in any order. */
export function applyEdits(sql: string, edits: readonly SqlEdit[]): string {
  if (edits.length === 0) return sql;
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let result = "";
  let at = 0;
  for (const edit of sorted) {
    result += sql.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return result + sql.slice(at);
}
