import { isTrivia, tokenize } from "../../sql/tokenizer";

/**
 * What a Postgres server answers when a `pg` client runs `COPY … FROM STDIN` as a plain query: the
 * client has no data to send, so it answers the server's CopyInResponse with CopyFail, and the
 * statement fails with this error (the transaction aborted, as after any failed statement).
 */
const PRODUCTION_ERROR = { code: "57014", message: "COPY from stdin failed: No source stream defined" };

/**
 * PGlite reads a statement's input within the one call that runs it, so a `COPY … FROM STDIN`
 * waiting for its data terminates the whole WebAssembly instance (and every later statement, and
 * `destroy()`, with it). `sql` with each such statement replaced by one that fails as a server
 * does for the sender; `undefined` when it has none.
 *
 * @param streaming - The statement comes with a data stream (pg-copy-streams), which a server
 *   would take and PGlite cannot: it fails with an error that says so.
 */
export function withoutCopyFromStdin(sql: string, streaming: boolean): string | undefined {
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
  const error = streaming
    ? {
        code: "0A000",
        message:
          "COPY FROM STDIN with a data stream is not supported by the PGlite engine: PGlite cannot take a statement's data after the statement. " +
          "Insert the rows with INSERT, or test this code on a Postgres server engine.",
      }
    : PRODUCTION_ERROR;
  const failing = `DO $typeorm_shared$ BEGIN RAISE EXCEPTION USING ERRCODE = '${error.code}', MESSAGE = ${quoteLiteral(error.message)}; END $typeorm_shared$`;
  let result = "";
  let at = 0;
  for (const edit of edits) {
    result += `${sql.slice(at, edit.start)}${failing}`;
    at = edit.end;
  }
  return result + sql.slice(at);
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
