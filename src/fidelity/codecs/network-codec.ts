import { describeValue, invalidValue, unsupportedValue, type ColumnRef, PlainTextCodec } from "../column-codec";
import { formatIp, hostBitsZero, parseIp } from "./network-address";

export type NetworkVariant = "inet" | "cidr" | "macaddr" | "macaddr8";

const MACADDR_FORMS = [
  /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})[:-]?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})[.-]([0-9a-f]{2})([0-9a-f]{2})[.-]([0-9a-f]{2})([0-9a-f]{2})$/i,
];

/**
 * Postgres `inet`, `cidr`, `macaddr`, `macaddr8`: validated and returned as the text Postgres
 * prints (`inet` drops a full-length mask, `cidr` always shows it and rejects host bits, MAC
 * addresses lowercase with colons, `macaddr8` widens 6-byte input with `ff:fe`).
 */
export class NetworkCodec extends PlainTextCodec {
  constructor(
    private readonly ref: ColumnRef,
    private readonly variant: NetworkVariant,
  ) {
    super();
  }

  normalize(value: unknown): string {
    if (typeof value !== "string") throw invalidValue(this.ref, value, `${describeValue(value)} is not a ${this.variant} string.`);
    const text = value.trim();
    const result = this.variant === "inet" || this.variant === "cidr" ? this.address(value, text) : this.mac(text);
    if (result === undefined) throw invalidValue(this.ref, value, `${describeValue(value)} is not a valid ${this.variant}.`);
    return result;
  }

  private address(value: string, text: string): string | undefined {
    const [host, maskText, extra] = text.split("/");
    if (extra !== undefined || host === undefined) return undefined;
    const address = parseIp(host);
    if (!address) return undefined;
    const full = address.family === 4 ? 32 : 128;
    if (maskText === undefined && this.variant === "cidr") {
      throw unsupportedValue(
        this.ref,
        value,
        "give cidr values with an explicit /mask; the classful default Postgres infers is not reproduced.",
      );
    }
    const mask = maskText === undefined ? full : /^\d+$/.test(maskText) ? Number(maskText) : NaN;
    if (!(mask >= 0 && mask <= full)) return undefined;
    if (this.variant === "cidr") {
      if (!hostBitsZero(address, mask))
        throw invalidValue(this.ref, value, `${describeValue(value)} has bits set to the right of the mask.`);
      return `${formatIp(address)}/${mask}`;
    }
    return mask === full ? formatIp(address) : `${formatIp(address)}/${mask}`;
  }

  private mac(text: string): string | undefined {
    const eight = this.variant === "macaddr8" ? this.mac8(text) : undefined;
    if (eight) return eight;
    for (const form of MACADDR_FORMS) {
      const match = form.exec(text);
      if (!match) continue;
      const bytes = match.slice(1).map((b) => b.toLowerCase());
      if (this.variant === "macaddr8") bytes.splice(3, 0, "ff", "fe");
      return bytes.join(":");
    }
    return undefined;
  }

  private mac8(text: string): string | undefined {
    if (!/^[0-9a-f]{2}(?:[:.-]?[0-9a-f]{2}){7}$/i.test(text)) return undefined;
    return text.replace(/[:.-]/g, "").toLowerCase().match(/../g)!.join(":");
  }
}
