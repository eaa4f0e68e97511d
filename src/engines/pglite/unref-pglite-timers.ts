let installed = false;

/**
 * Lets the process exit while a PGlite database sits idle. Postgres arms timers between
 * statements (the 10-second idle statistics flush, `idle_in_transaction_session_timeout`), and
 * PGlite's WebAssembly build arms each as a plain `setTimeout` that keeps Node's event loop alive:
 * a test run would wait for it, or for ever once it re-arms. The engine keeps its databases for the
 * whole process, so their timers are unreferenced: they still fire while anything else runs.
 * PGlite gives no handle on them; they are recognised by their callback (Emscripten's
 * `_emscripten_timeout`), and every other timer is left as it is.
 */
export function unrefPgliteTimers(): void {
  if (installed) return;
  installed = true;
  const setTimeoutOf = globalThis.setTimeout;
  const schedule = setTimeoutOf as unknown as (...args: unknown[]) => ReturnType<typeof setTimeout>;
  const unrefing = function (callback: unknown, delay?: number, ...rest: unknown[]) {
    const timer = schedule(callback, delay, ...rest);
    if (typeof callback === "function" && String(callback).includes("_emscripten_timeout")) timer.unref?.();
    return timer;
  } as typeof setTimeout;
  // Keeps what `setTimeout` carries besides the call (util.promisify's custom form, non-enumerable).
  for (const key of Object.getOwnPropertySymbols(setTimeoutOf)) {
    Object.defineProperty(unrefing, key, Object.getOwnPropertyDescriptor(setTimeoutOf, key)!);
  }
  globalThis.setTimeout = unrefing;
}
