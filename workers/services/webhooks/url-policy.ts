/**
 * Where merchant webhooks may point (ADR 0085, ASVS V5.2.6 / V12.6.1, OWASP
 * API7:2023). Outside local mode:
 * 1. `refuseWebhookUrl` (no I/O): https only, no credentials in the URL, and
 *    no host that names this side of the network: an IP literal in any form
 *    the URL parser accepts (decimal, octal, hex and short IPv4 are
 *    normalised by it first) that is not public unicast (address-ranges.ts);
 *    `localhost`, single-label and local-only names (.local, .internal,
 *    .home.arpa, …); wildcard-DNS services that answer any address spelled in
 *    the name (127.0.0.1.nip.io, 10-0-0-1.sslip.io, localtest.me, …); and any
 *    name that spells a refused address in one of its labels.
 * 2. `refuseWebhookTarget` adds name resolution: every A and AAAA answer of
 *    the host must be public, else the URL is refused. It runs at
 *    registration and again before every delivery attempt (a name may be
 *    pointed elsewhere later). In production the resolver is DNS over HTTPS
 *    (`dohResolver`); local runs and tests allow loopback and skip it.
 * What remains (ADR 0085): `fetch` resolves the name again and a name with a
 * zero TTL can answer differently the second time (DNS rebinding); a Worker
 * cannot see the address `fetch` connected to. Cloudflare's egress does not
 * route to private addresses, which is the last line.
 */
import { addressRefusal, parseIpv4, parseIpv6 } from './address-ranges';

/** Names that only mean something on a local network. */
const LOCAL_SUFFIXES = ['localhost', 'local', 'internal', 'intranet', 'lan', 'home', 'corp', 'private', 'home.arpa', 'localdomain', 'test', 'invalid', 'example'];

/**
 * Public wildcard-DNS and rebinding services: any name under them resolves to
 * the address it spells (127.0.0.1.nip.io, 7f000001.sslip.io) or to loopback
 * outright (localtest.me, lvh.me), or flips between answers (rbndr.us).
 */
export const REBINDING_SUFFIXES = [
  'nip.io', 'sslip.io', 'xip.io', 'nip.direct', 'traefik.me', 'backname.io', 'localtest.me', 'lvh.me', 'vcap.me', 'fuf.me',
  'localho.st', 'lacolhost.com', 'local.gd', 'localdev.me', '1u.ms', 'rbndr.us', 'rebind.it', 'rebind.network', 'nip.run',
];

const underSuffix = (host: string, suffix: string): boolean => host === suffix || host.endsWith(`.${suffix}`);

/** A refused address spelled inside a name: dotted (10.0.0.1.example.com), dashed (10-0-0-1.x), hex (0a000001.x) or IPv6 with dashes (fe80--1.x). */
function embeddedRefusal(host: string): string | undefined {
  const labels = host.split('.');
  for (let i = 0; i + 4 <= labels.length; i++) {
    const dotted = labels.slice(i, i + 4).join('.');
    if (parseIpv4(dotted) !== null && addressRefusal(dotted)) return `a name that spells ${dotted}`;
  }
  for (const label of labels) {
    const dashed = /(?:^|[^\d])(\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3})(?:$|[^\d])/.exec(label)?.[1];
    if (dashed && addressRefusal(dashed.replaceAll('-', '.'))) return `a name that spells ${dashed.replaceAll('-', '.')}`;
    if (/^[0-9a-f]{8}$/.test(label)) {
      const n = parseInt(label, 16);
      const ip = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      if (addressRefusal(ip)) return `a name that spells ${ip}`;
    }
    if (label.includes('--') && /^[0-9a-f-]+$/.test(label)) {
      const ip6 = label.replaceAll('-', ':');
      if (parseIpv6(ip6) && addressRefusal(ip6)) return `a name that spells ${ip6}`;
    }
  }
  return undefined;
}

/**
 * Local runs and tests: http, the plain loopback receivers (`localhost`,
 * `127.x.x.x` written plainly, `[::1]`) and names of the local network are
 * allowed; any other address that is not public — a loopback in disguise
 * (`[::127.0.0.1]`, NAT64, octal, a rebinding name) or a private network —
 * is refused as in production.
 */
function refuseLocalHost(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return undefined;
  const literal = addressRefusal(host.replace(/^\[(.*)\]$/, '$1'));
  if (literal) return `must not point at ${literal}`;
  if (literal === null) return undefined;
  if (REBINDING_SUFFIXES.some((s) => underSuffix(host, s))) return 'must not point at a wildcard-DNS or rebinding service';
  const spelled = embeddedRefusal(host);
  return spelled ? `must not point at ${spelled}` : undefined;
}

/** Why this host is refused (no resolution), or undefined. */
export function refuseHost(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const literal = addressRefusal(host);
  if (literal) return `must not point at ${literal}`;
  if (literal === null) return undefined; // a public IP address
  if (!host.includes('.')) return 'must not point at a single-label name (it resolves on the local network only)';
  if (LOCAL_SUFFIXES.some((s) => underSuffix(host, s))) return 'must not point at a local-only name';
  if (REBINDING_SUFFIXES.some((s) => underSuffix(host, s))) return 'must not point at a wildcard-DNS or rebinding service';
  const spelled = embeddedRefusal(host);
  if (spelled) return `must not point at ${spelled}`;
  return undefined;
}

/** Why the URL is refused, or undefined when it may be used (no name resolution: see `refuseWebhookTarget`). */
export function refuseWebhookUrl(raw: string, options: { localMode: boolean }): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https';
  if (url.username || url.password) return 'must not contain credentials';
  if (options.localMode) return refuseLocalHost(url.hostname);
  if (url.protocol !== 'https:') return 'must use https';
  return refuseHost(url.hostname);
}

/** The A and AAAA answers for a name; throws when the resolver cannot answer (not for "no such name": that is []). */
export type Resolver = (hostname: string) => Promise<string[]>;

export type TargetCheck = { ok: true } | { ok: false; refused: string } | { ok: false; unresolved: string };

/** `refuseWebhookUrl`, then every address the host resolves to must be public. */
export async function checkWebhookTarget(raw: string, options: { localMode: boolean; resolve?: Resolver | null }): Promise<TargetCheck> {
  const refused = refuseWebhookUrl(raw, options);
  if (refused) return { ok: false, refused };
  if (options.localMode || !options.resolve) return { ok: true };
  const host = new URL(raw).hostname.replace(/\.$/, '');
  if (addressRefusal(host) !== undefined) return { ok: true }; // an IP literal, already judged
  let answers: string[];
  try {
    answers = await options.resolve(host);
  } catch (error) {
    return { ok: false, unresolved: `the name could not be resolved now (${error instanceof Error ? error.message : 'resolver error'})` };
  }
  if (answers.length === 0) return { ok: false, refused: 'must point at a name that resolves' };
  for (const answer of answers) {
    const why = addressRefusal(answer);
    if (why !== null) return { ok: false, refused: `must not resolve to ${why ?? `something that is no IP address (${answer})`}` };
  }
  return { ok: true };
}

/** DNS over HTTPS (RFC 8484's JSON flavour) at `endpoint` (the `DNS_RESOLVER_URL` var), as the Worker can resolve: A and AAAA, CNAMEs followed by the resolver. */
export function dohResolver(endpoint: string, fetcher: typeof fetch = fetch): Resolver {
  return async (hostname) => {
    const lookups = ['A', 'AAAA'].map(async (type) => {
      const res = await fetcher(`${endpoint}?name=${encodeURIComponent(hostname)}&type=${type}`, { headers: { accept: 'application/dns-json' }, signal: AbortSignal.timeout(3_000) });
      if (!res.ok) throw new Error(`resolver answered ${res.status}`);
      const body = (await res.json()) as { Status?: number; Answer?: { type: number; data: string }[] };
      if (body.Status !== 0 && body.Status !== 3) throw new Error(`resolver status ${body.Status}`);
      // 1 = A, 28 = AAAA; CNAME records (5) are the chain, not addresses.
      return (body.Answer ?? []).filter((a) => a.type === 1 || a.type === 28).map((a) => a.data);
    });
    return (await Promise.all(lookups)).flat();
  };
}
