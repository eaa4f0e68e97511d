import { isTrivia, tokenize } from "../../sql/tokenizer";

/**
 * What a Postgres server answers when a `pg` client runs `COPY … FROM STDIN` as a plain query: the
 * client has no data to send, so it answers the server's CopyInResponse with CopyFail, and the
 * statement fails with this error (the transaction aborted, as after any failed statement).
 */
const PRODUCTION_ERROR = { code: "57014", message: "COPY from stdin failed: No source stream defined" };

/**
 * Who sent a `COPY … FROM STDIN`, which decides what a server does with it:
 * - `"query"`: `pg`'s own query, which answers CopyInResponse with CopyFail ({@link PRODUCTION_ERROR});
 * - `"copy stream"`: a submittable that sends the data (pg-copy-streams): a server takes it, PGlite cannot;
 * - `"cursor"`: a submittable with no answer to CopyInResponse (pg-cursor, pg-query-stream, so
 *   `runner.stream()`): on a server `pg` throws a TypeError from its socket handler, outside any
 *   promise, and the process exits.
 */
export type CopySender = "query" | "copy stream" | "cursor";

const PGLITE_CANNOT = { code: "0A000", advice: "Insert the rows with INSERT, or test this code on a Postgres server engine." };

const ERRORS: Readonly<Record<CopySender, { code: string; message: string }>> = {
  query: PRODUCTION_ERROR,
  "copy stream": {
    code: PGLITE_CANNOT.code,
    message: `COPY FROM STDIN with a data stream is not supported by the PGlite engine: PGlite cannot take a statement's data after the statement. ${PGLITE_CANNOT.advice}`,
  },
  cursor: {
    code: PGLITE_CANNOT.code,
    message:
      "COPY FROM STDIN sent through a cursor (runner.stream(), pg-cursor): pg cannot answer the server's request for the data, " +
      "and on a Postgres server it throws a TypeError outside any promise, which ends the process. Send it with query(), or stream the data with pg-copy-streams on a server engine.",
  },
};

/**
 * PGlite reads a statement's input within the one call that runs it, so a `COPY … FROM STDIN`
 * waiting for its data terminates the whole WebAssembly instance (and every later statement, and
 * `destroy()`, with it). `sql` with each such statement replaced by one that fails as a server
 * does for `sender` (see {@link CopySender}); `undefined` when it has none.
 */
export function withoutCopyFromStdin(sql: string, sender: CopySender): string | undefined {
  // Every statement PGlite runs passes here: most are done with at this scan.
  if (!/stdin/i.test(sql)) return undefined;
  const tokens = tokenize(sql, "postgres");
  const edits: { start: number; end: number }[] = [];
  let statement: { start: number; words: string[] } | undefined;
  const end = (at: number) => {
    if (statement && isCopyFromStdin(statement.words)) edits.push({ start: statement.start, end: at });
    statement = undefined;
  };
  for (const token of tokens) {
    if (token.kind === "separator") end(token.start);
    else if (!isTrivia(token.kind)) {
      statement ??= { start: token.start, words: [] };
      const text = sql.slice(token.start, token.end);
      statement.words.push(token.kind === "word" ? text.toUpperCase() : text === "(" || text === ")" ? text : "");
    }
  }
  end(sql.length);
  if (edits.length === 0) return undefined;
  const error = ERRORS[sender];
  const failing = `DO $typeorm_shared$ BEGIN RAISE EXCEPTION USING ERRCODE = '${error.code}', MESSAGE = ${quoteLiteral(error.message)}; END $typeorm_shared$`;
  let result = "";
  let at = 0;
  for (const edit of edits) {
    result += `${sql.slice(at, edit.start)}${failing}`;
    at = edit.end;
  }
  return result + sql.slice(at);
}

/** What `pg` sends statement text with, on the connection PGlite ships for it. */
export interface StatementConnection {
  query(text: string): void;
  parse(query: { text: string }): void;
}

/**
 * Makes `connection` send every `COPY … FROM STDIN` as {@link withoutCopyFromStdin} does, whatever
 * sent it: a query, a prepared statement, a cursor, a copy stream. `activeQuery` is the client's
 * submittable being sent; `Query` is `pg`'s own.
 */
export function guardCopyFromStdin(
  connection: StatementConnection,
  activeQuery: () => unknown,
  Query: abstract new (...args: never[]) => unknown,
): void {
  const senderOf = (): CopySender => {
    const active = activeQuery();
    if (active instanceof Query) return "query";
    return typeof (active as { handleCopyInResponse?: unknown } | undefined)?.handleCopyInResponse === "function"
      ? "copy stream"
      : "cursor";
  };
  const query = connection.query.bind(connection);
  const parse = connection.parse.bind(connection);
  connection.query = (text) => query(withoutCopyFromStdin(text, senderOf()) ?? text);
  connection.parse = (statement) => {
    const text = withoutCopyFromStdin(statement.text, senderOf());
    parse(text === undefined ? statement : { ...statement, text });
  };
}

/** `COPY <table> [(columns)] FROM STDIN …`: `FROM STDIN` outside parentheses (a `COPY (query)` is always `TO`). */
function isCopyFromStdin(words: readonly string[]): boolean {
  if (words[0] !== "COPY") return false;
  let depth = 0;
  for (let i = 1; i < words.length - 1; i++) {
    if (words[i] === "(") depth++;
    else if (words[i] === ")") depth--;
    else if (depth === 0 && words[i] === "FROM" && words[i + 1] === "STDIN") return true;
  }
  return false;
}

function quoteLiteral(text: string): string {
  return `'${text.split("'").join("''")}'`;
}
