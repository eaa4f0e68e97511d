import { isIPv4, isIPv6 } from "node:net";

/** An IP address as 4 or 16 bytes. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: number[];
}

export function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) return { family: 4, bytes: text.split(".").map(Number) };
  if (!isIPv6(text)) return undefined;
  let head = text;
  let tailBytes: number[] = [];
  const embedded = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (embedded) {
    tailBytes = embedded[1]!.split(".").map(Number);
    head = text.slice(0, -embedded[1]!.length) + "0:0";
  }
  const [left, right] = head.split("::") as [string, string | undefined];
  const leftGroups = left === "" ? [] : left.split(":");
  const rightGroups = right === undefined || right === "" ? [] : right.split(":");
  const missing = 8 - leftGroups.length - rightGroups.length;
  const groups = [...leftGroups, ...(right === undefined ? [] : Array<string>(missing).fill("0")), ...rightGroups].map((g) =>
    parseInt(g, 16),
  );
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (tailBytes.length) bytes.splice(12, 4, ...tailBytes);
  return { family: 6, bytes };
}

/**
 * The text Postgres prints for an address (BIND's `inet_ntop`): IPv6 lowercase, the first longest
 * run of two or more zero groups compressed, IPv4-mapped and IPv4-compatible tails dotted.
 */
export function formatIp(address: IpAddress): string {
  if (address.family === 4) return address.bytes.join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((address.bytes[i]! << 8) | address.bytes[i + 1]!);
  let bestBase = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestBase = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) bestBase = -1;
  const dotted = address.bytes.slice(12).join(".");
  if (bestBase === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff))) {
    return bestLength === 6 ? `::${dotted}` : `::ffff:${dotted}`;
  }
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (i === bestBase) {
      parts.push(i === 0 ? ":" : "");
      i += bestLength - 1;
      if (i === 7) parts.push("");
      continue;
    }
    parts.push(groups[i]!.toString(16));
  }
  return parts.join(":");
}

/** True when every bit after the first `mask` bits is zero (a valid `cidr` network). */
export function hostBitsZero(address: IpAddress, mask: number): boolean {
  return address.bytes.every((byte, index) => {
    const keep = Math.max(0, Math.min(8, mask - index * 8));
    return (byte & (0xff >> keep)) === 0;
  });
}
