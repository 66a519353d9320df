/**
 * Which IP addresses a merchant webhook may never reach (ADR 0085): every
 * address that is not plainly a public unicast one. Pure and table-tested
 * (test/security/webhook-url-policy.test.ts).
 *
 * IPv6 forms that carry an IPv4 address are judged by it or refused whole:
 * IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96), IPv4-translated
 * (::ffff:0:0:0/96) and NAT64 (64:ff9b::/96, 64:ff9b:1::/48) are refused
 * whole (a webhook has no business there, and NAT64 reaches whatever IPv4 the
 * gateway's network reaches); 6to4 (2002::/16) and Teredo (2001::/32) are
 * refused when the IPv4 they embed is.
 */

type Cidr4 = readonly [network: number, bits: number];

const v4 = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** IPv4 ranges that are not public unicast (IANA special-purpose registry, plus multicast and reserved). */
const BLOCKED_V4: readonly Cidr4[] = [
  [v4(0, 0, 0, 0), 8], // "this network", 0.0.0.0
  [v4(10, 0, 0, 0), 8], // private
  [v4(100, 64, 0, 0), 10], // carrier-grade NAT
  [v4(127, 0, 0, 0), 8], // loopback
  [v4(169, 254, 0, 0), 16], // link-local, cloud metadata
  [v4(172, 16, 0, 0), 12], // private
  [v4(192, 0, 0, 0), 24], // IETF protocol assignments
  [v4(192, 0, 2, 0), 24], // TEST-NET-1
  [v4(192, 88, 99, 0), 24], // 6to4 relay anycast
  [v4(192, 168, 0, 0), 16], // private
  [v4(198, 18, 0, 0), 15], // benchmarking
  [v4(198, 51, 100, 0), 24], // TEST-NET-2
  [v4(203, 0, 113, 0), 24], // TEST-NET-3
  [v4(224, 0, 0, 0), 4], // multicast
  [v4(240, 0, 0, 0), 4], // reserved, and 255.255.255.255 broadcast
];

const inCidr4 = (ip: number, [network, bits]: Cidr4): boolean => (bits === 0 ? true : ip >>> (32 - bits) === network >>> (32 - bits));

/** A dotted-quad IPv4 address (four decimal parts, as URL and DNS answers write it) as a number. */
export function parseIpv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1, 5).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return v4(parts[0]!, parts[1]!, parts[2]!, parts[3]!);
}

export const ipv4Blocked = (ip: number): boolean => BLOCKED_V4.some((cidr) => inCidr4(ip, cidr));

/** Eight 16-bit groups, or null when `text` (brackets allowed, dotted IPv4 tail allowed) is not IPv6. */
export function parseIpv6(text: string): number[] | null {
  let h = text.replace(/^\[|\]$/g, '').toLowerCase();
  if (!h.includes(':') || h.includes('%')) return null;
  // A dotted IPv4 tail (::ffff:10.0.0.1, ::127.0.0.1) becomes two groups.
  const tail = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(h);
  if (tail) {
    const ip = parseIpv4(tail[1]!);
    if (ip === null) return null;
    h = `${h.slice(0, tail.index + 1)}${(ip >>> 16).toString(16)}:${(ip & 0xffff).toString(16)}`;
  }
  const halves = h.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return all.map((g) => parseInt(g, 16));
}

const embedded = (hi: number, lo: number): number => ((hi << 16) | lo) >>> 0;
const zero = (g: readonly number[], from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);

/** Why this IPv6 address is refused, or null when it is public unicast. */
export function ipv6Refusal(g: readonly number[]): string | null {
  const [a, b] = [g[0]!, g[1]!];
  if (zero(g, 0, 8)) return 'unspecified';
  if (zero(g, 0, 7) && g[7] === 1) return 'loopback';
  if (zero(g, 0, 5) && g[5] === 0xffff) return 'IPv4-mapped';
  if (zero(g, 0, 4) && g[4] === 0xffff && g[5] === 0) return 'IPv4-translated';
  if (zero(g, 0, 6)) return 'IPv4-compatible';
  if (a === 0x64 && b === 0xff9b && zero(g, 2, 6)) return 'NAT64';
  if (a === 0x64 && b === 0xff9b && g[2] === 1) return 'NAT64 (local use)';
  if (a === 0x100 && zero(g, 1, 4)) return 'discard-only';
  if ((a & 0xfe00) === 0xfc00) return 'unique local';
  if ((a & 0xffc0) === 0xfe80) return 'link-local';
  if ((a & 0xffc0) === 0xfec0) return 'site-local (deprecated)';
  if ((a & 0xff00) === 0xff00) return 'multicast';
  if (a === 0x2001 && b === 0xdb8) return 'documentation';
  if (a === 0x3fff && (b & 0xf000) === 0) return 'documentation';
  if (a === 0x2001 && b === 0x2 && g[2] === 0) return 'benchmarking';
  if (a === 0x2001 && (b & 0xffe0) === 0x20) return 'ORCHID';
  if (a === 0x2001 && (b & 0xfff0) === 0x10) return 'ORCHID';
  // 6to4: the IPv4 address is groups 1–2.
  if (a === 0x2002 && ipv4Blocked(embedded(g[1]!, g[2]!))) return '6to4 of a private IPv4 address';
  // Teredo: the server is groups 2–3, the client groups 6–7 with every bit flipped.
  if (a === 0x2001 && b === 0 && (ipv4Blocked(embedded(g[2]!, g[3]!)) || ipv4Blocked(embedded(g[6]! ^ 0xffff, g[7]! ^ 0xffff)))) return 'Teredo of a private IPv4 address';
  return null;
}

/** Why this IP address (IPv4 dotted quad or IPv6, brackets allowed) is refused; null when public; undefined when `text` is no IP address. */
export function addressRefusal(text: string): string | null | undefined {
  const ip4 = parseIpv4(text);
  if (ip4 !== null) return ipv4Blocked(ip4) ? 'a private, loopback, link-local or reserved IPv4 address' : null;
  const ip6 = parseIpv6(text);
  if (ip6 === null) return undefined;
  const why = ipv6Refusal(ip6);
  return why ? `an IPv6 address that is not public (${why})` : null;
}
