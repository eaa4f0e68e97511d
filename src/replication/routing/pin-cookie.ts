import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The pin cookie's value: `<expiry>.<mac>`, the expiry in epoch milliseconds and the mac an
 * HMAC-SHA256 (base64url) of the cookie's name and the expiry under the application's secret. It
 * carries nothing about the user, and nothing but "read from the primary until then" can be
 * forged without the secret; a cookie copied to another name does not verify either.
 */
export class PinCookie {
  constructor(
    private readonly name: string,
    private readonly secret: string | Uint8Array,
    private readonly lifetimeMs: number,
  ) {}

  /** The value of a pin that expires `lifetimeMs` from `now`. */
  issue(now: number): string {
    const expiry = now + this.lifetimeMs;
    return `${expiry}.${this.mac(expiry)}`;
  }

  /**
   * The expiry of the first valid, unexpired pin in a `Cookie` header, or `undefined`: a missing,
   * malformed, forged or expired pin is no pin. An expiry further away than the lifetime (a
   * secret shared with a deployment that pins longer) is capped to it.
   */
  read(cookieHeader: unknown, now: number): number | undefined {
    if (typeof cookieHeader !== "string") return undefined;
    for (const part of cookieHeader.split(";")) {
      const separator = part.indexOf("=");
      if (separator < 0 || part.slice(0, separator).trim() !== this.name) continue;
      const expiry = this.verify(part.slice(separator + 1).trim());
      if (expiry !== undefined && expiry > now) return Math.min(expiry, now + this.lifetimeMs);
    }
    return undefined;
  }

  private verify(value: string): number | undefined {
    const match = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!match) return undefined;
    const expiry = Number(match[1]);
    const expected = Buffer.from(this.mac(expiry));
    const given = Buffer.from(match[2]!);
    return given.length === expected.length && timingSafeEqual(given, expected) ? expiry : undefined;
  }

  private mac(expiry: number): string {
    return createHmac("sha256", this.secret).update(`${this.name}=${expiry}`).digest("base64url");
  }
}
