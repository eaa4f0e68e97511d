import { InvalidRoutingOptionError } from "../../errors/invalid-routing-option-error";
import { PinCookie } from "./pin-cookie";
import { currentPin, PinState, runPinned } from "./routing-scope";

/** The request as the middleware reads it: Node's `IncomingMessage`, so Express's, Connect's and Nest's requests. */
export interface PinningRequest {
  readonly method?: string | undefined;
  readonly headers: { readonly cookie?: string | undefined };
}

/** The response as the middleware writes it: Node's `ServerResponse`, so Express's, Connect's and Nest's responses. */
export interface PinningResponse {
  writeHead(...args: any[]): unknown;
  getHeader(name: string): unknown;
  setHeader(name: string, value: string | readonly string[]): unknown;
}

/**
 * Connect-style middleware: `app.use(middleware)` in Express, Connect and Nest (`app.use` in
 * `main.ts`); `@fastify/middie` or `@fastify/express` in Fastify; `koa-connect` in Koa.
 */
export type ReplicaPinningMiddleware = (req: PinningRequest, res: PinningResponse, next: (error?: unknown) => void) => void;

/**
 * Options of {@link replicaPinning}.
 *
 * @example
 * ```ts
 * replicaPinning({ secret: process.env.PIN_SECRET!, seconds: 5, cookieName: "shop_pin" });
 * ```
 */
export interface ReplicaPinningOptions {
  /**
   * The HMAC key that signs pin cookies: at least 32 characters (or bytes). Required: every
   * process serving the application must share it, or a pin set by one instance is ignored by
   * the next (read-your-writes would break exactly behind a load balancer); keep it in your
   * secrets, like a session secret. A leaked secret lets clients pin themselves to the primary
   * for as long as they like, nothing more.
   */
  readonly secret: string | Uint8Array;
  /**
   * How long a user agent reads from the primary after a request of it wrote. The default is 15
   * seconds (django-multidb-router's `MULTIDB_PINNING_SECONDS`); make it longer than your
   * replicas' worst lag.
   */
  readonly seconds?: number;
  /** The pin cookie's name. The default is `"primary_pin"`. */
  readonly cookieName?: string;
  /**
   * Whether a request is a write whatever its statements: it reads from the primary and sets the
   * pin. The default is a method other than GET, HEAD, OPTIONS and TRACE; a function given here
   * replaces that test (to exempt `POST /search`, say). Requests in which a write statement
   * reaches the master, or `markWrite()` is called, pin either way.
   */
  readonly isWrite?: (req: PinningRequest) => boolean;
  /** The pin cookie's `Path`. The default is `"/"`. */
  readonly path?: string;
  /** Whether the pin cookie is `Secure` (sent over HTTPS only). The default is `false`. */
  readonly secure?: boolean;
}

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MIN_SECRET_LENGTH = 32;

/**
 * Read-your-writes for HTTP, as django-multidb-router's `PinningRouterMiddleware`, Rails'
 * `DatabaseSelector` and Laravel's `sticky`: a request that writes (a write method, a write
 * statement that reached the master, `markWrite()`) reads from the primary from then on and sets
 * a signed pin cookie; for `seconds` after it, that user agent's requests read from the primary
 * too. The cookie holds an expiry and its HMAC, no user data; a forged, malformed or expired
 * cookie counts as none (the request reads from replicas, never fails). Only requests whose
 * response starts after the write can set the pin: a write after a streamed response has begun
 * pins the rest of that request only.
 *
 * Routes the reads of every DataSource with replica routing (`installReplicaRouting`, or a
 * `SharedReplicationDataSource`).
 *
 * @throws InvalidRoutingOptionError when `secret` is missing or shorter than 32 characters,
 * `seconds` is not a positive number, or `cookieName` is not a valid cookie name.
 *
 * @example
 * ```ts
 * const app = express();
 * app.use(replicaPinning({ secret: process.env.PIN_SECRET! }));
 * ```
 */
export function replicaPinning(options: ReplicaPinningOptions): ReplicaPinningMiddleware {
  const { secret, seconds = 15, cookieName = "primary_pin", isWrite = isWriteMethod, path = "/", secure = false } = options;
  checkSecret(secret);
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidRoutingOptionError("seconds", seconds, "a positive number of seconds");
  }
  if (typeof cookieName !== "string" || !COOKIE_NAME.test(cookieName)) {
    throw new InvalidRoutingOptionError("cookieName", cookieName, "a cookie name: letters, digits and !#$%&'*+-.^_`|~");
  }
  if (typeof isWrite !== "function") throw new InvalidRoutingOptionError("isWrite", isWrite, "a function (req) => boolean");
  const cookie = new PinCookie(cookieName, secret, Math.round(seconds * 1000));
  const attributes = `; Max-Age=${Math.ceil(seconds)}; Path=${path}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;

  return (req, res, next) => {
    let pin: PinState;
    try {
      pin = new PinState(cookie.read(req.headers.cookie, Date.now()), currentPin());
      if (isWrite(req)) pin.markWrote();
    } catch (error) {
      next(error);
      return;
    }
    setPinWithHeaders(res, pin, () => `${cookieName}=${cookie.issue(Date.now())}${attributes}`);
    runPinned(pin, () => next());
  };
}

function isWriteMethod(req: PinningRequest): boolean {
  return !READ_METHODS.has((req.method ?? "GET").toUpperCase());
}

function checkSecret(secret: unknown): void {
  const length = typeof secret === "string" ? secret.length : secret instanceof Uint8Array ? secret.byteLength : -1;
  if (length >= MIN_SECRET_LENGTH) return;
  // The secret itself never goes into the error, which may be logged.
  const given = length < 0 ? String(secret) : `a secret of ${length} ${typeof secret === "string" ? "characters" : "bytes"}`;
  throw new InvalidRoutingOptionError(
    "secret",
    given,
    `a secret of at least ${MIN_SECRET_LENGTH} characters that every process of the application shares (e.g. from an environment variable)`,
  );
}

// Node sends the headers through writeHead, called by the response's first write or end (Express's
// res.json and res.send included): the latest moment a Set-Cookie can still go out.
function setPinWithHeaders(res: PinningResponse, pin: PinState, pinCookie: () => string): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: PinningResponse, ...args: unknown[]) {
    res.writeHead = writeHead;
    if (pin.wrote) {
      // Headers given to writeHead itself (Fastify gives it its cookies) win over setHeader's: the pin joins them there.
      const headers = args[args.length - 1];
      const given = isHeaderObject(headers) ? Object.keys(headers).find((name) => name.toLowerCase() === "set-cookie") : undefined;
      if (given !== undefined) {
        args[args.length - 1] = {
          ...(headers as Record<string, unknown>),
          [given]: [...cookieList((headers as Record<string, unknown>)[given]), pinCookie()],
        };
      } else {
        res.setHeader("Set-Cookie", [...cookieList(res.getHeader("Set-Cookie")), pinCookie()]);
      }
    }
    return writeHead.apply(this, args);
  };
}

function isHeaderObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function cookieList(value: unknown): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
}
