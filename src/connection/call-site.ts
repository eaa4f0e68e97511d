import path from "node:path";

// The library's own files: src/ when run from source, dist/ once built.
const LIBRARY_DIRECTORY = path.resolve(__dirname, "..") + path.sep;

// Deep enough to reach application code below the library's and TypeORM's own frames, whatever
// Error.stackTraceLimit the process runs with (Node.js's default of 10 stops inside the library).
const DEPTH = 16;

/**
 * Where application code asked the library for something, for diagnostics (leak reports, the
 * holder named by a connection wait timeout): a stack captured now, which V8 formats only when it
 * is read, and shown without the library's own frames.
 */
export class CallSite {
  private readonly captured: { stack?: string } = {};

  /** @param above The innermost function (or class) to leave out, with everything it called. */
  constructor(above: ((...args: never[]) => unknown) | (abstract new (...args: never[]) => unknown)) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = DEPTH;
    Error.captureStackTrace(this.captured, above);
    Error.stackTraceLimit = limit;
  }

  /** One frame per line, the library's own left out (unless nothing else is left). */
  toString(): string {
    const frames = (this.captured.stack ?? "").split("\n").slice(1);
    const outside = frames.filter((frame) => !frame.includes(LIBRARY_DIRECTORY));
    return (outside.length > 0 ? outside : frames).join("\n");
  }
}
