/** IPv4 CIDR maths used by the configuration rules. Pure functions, no Pulumi. */

export interface Cidr {
  readonly text: string;
  readonly network: number; // first address as an unsigned 32-bit integer
  readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; returns undefined when malformed or when host bits are set (Azure rejects those). */
export function parseCidr(text: string): Cidr | undefined {
  const m = CIDR_PATTERN.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const network = prefix === 0 ? 0 : address - (address % 2 ** (32 - prefix));
  if (network !== address) return undefined;
  return { text: text.trim(), network, prefix };
}

export function isCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

export function addressCount(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function lastAddress(c: Cidr): number {
  return c.network + addressCount(c) - 1;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.network >= outer.network && lastAddress(inner) <= lastAddress(outer);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

export function ipToString(ip: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(ip / 2 ** s) % 256).join(".");
}

/** The n-th address of a block (0 = network address). */
export function nthAddress(c: Cidr, n: number): string {
  if (n < 0 || n >= addressCount(c)) throw new RangeError(`${c.text} has no address number ${n}`);
  return ipToString(c.network + n);
}

/** Azure reserves five addresses in every subnet (network, gateway, two DNS, broadcast).
 *  https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq#are-there-any-restrictions-on-using-ip-addresses-within-these-subnets */
export const AZURE_RESERVED_PER_SUBNET = 5;

export function usableAzureAddresses(c: Cidr): number {
  return Math.max(0, addressCount(c) - AZURE_RESERVED_PER_SUBNET);
}

/**
 * The fewest CIDR blocks that cover exactly the given ones: contained and duplicate blocks dropped, adjacent
 * blocks merged (two /25 halves become their /24). Throws on text that is not an IPv4 CIDR.
 */
export function aggregateCidrs(texts: readonly string[]): string[] {
  const blocks = texts.map((t) => {
    const c = parseCidr(t.includes("/") ? t : `${t}/32`);
    if (!c) throw new RangeError(`${t} is not an IPv4 address or CIDR block`);
    return { network: c.network, prefix: c.prefix };
  });
  // Walk the address space in order, emitting the largest aligned block that fits each covered run.
  const runs = blocks.map((b) => [b.network, b.network + 2 ** (32 - b.prefix) - 1]).sort((a, b) => a[0] - b[0]);
  const merged: number[][] = [];
  for (const [start, end] of runs) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  const out: string[] = [];
  for (const [start, end] of merged) {
    let at = start;
    while (at <= end) {
      let prefix = 32;
      while (prefix > 0) {
        const size = 2 ** (32 - prefix + 1);
        if (at % size !== 0 || at + size - 1 > end) break;
        prefix--;
      }
      out.push(`${ipToString(at)}/${prefix}`);
      at += 2 ** (32 - prefix);
    }
  }
  return out;
}
