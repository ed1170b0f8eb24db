import dns from 'node:dns';
import net from 'node:net';

/**
 * Destinations a webhook may not reach unless an admin allows private networks: loopback,
 * RFC 1918, link-local (cloud metadata at 169.254.169.254), CGNAT, unique-local IPv6, and the
 * unspecified/multicast/reserved ranges.
 */
const PRIVATE = new net.BlockList();
for (const [a, p] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(a, p, 'ipv4');
for (const [a, p] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(a, p, 'ipv6');

export function isPrivateAddress(ip: string): boolean {
  const family = net.isIP(ip);
  if (family === 0) return false;
  if (family === 6) {
    // IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it carries.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
    return PRIVATE.check(ip, 'ipv6');
  }
  return PRIVATE.check(ip, 'ipv4');
}

export class DestinationRefused extends Error {}

/** Parses a webhook URL: http(s) only, no embedded credentials. Returns a problem or the URL. */
export function parseWebhookUrl(raw: string): URL | string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'url must be an absolute http(s) URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return `url must use http or https, not ${u.protocol.replace(':', '')}`;
  if (u.username || u.password) return 'url must not embed credentials';
  if (!u.hostname) return 'url must name a host';
  return u;
}

function hostOf(u: URL): string {
  return u.hostname.replace(/^\[|\]$/g, '');
}

/**
 * Checks where a URL points now. Hostnames that do not resolve are accepted at registration (they
 * may resolve later); every delivery re-checks through {@link guardedLookup}.
 */
export async function assertDestinationAllowed(u: URL, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = hostOf(u);
  if (net.isIP(host)) {
    if (isPrivateAddress(host))
      throw new DestinationRefused(`${host} is a loopback or private address`);
    return;
  }
  if (host === 'localhost' || host.endsWith('.localhost'))
    throw new DestinationRefused(`${host} is a loopback address`);
  let addrs: dns.LookupAddress[];
  try {
    addrs = await dns.promises.lookup(host, { all: true });
  } catch {
    return;
  }
  const bad = addrs.find((a) => isPrivateAddress(a.address));
  if (bad)
    throw new DestinationRefused(
      `${host} resolves to ${bad.address}, a loopback or private address`,
    );
}

/**
 * A `lookup` for `http.request` that refuses private addresses at connect time, so a hostname
 * that re-resolves to an internal address after registration (DNS rebinding) is still refused.
 */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      if (!allowPrivate) {
        const bad = list.find((a) => isPrivateAddress(a.address));
        if (bad)
          return callback(
            new DestinationRefused(`${hostname} resolves to ${bad.address}, a private address`),
            '',
            0,
          );
      }
      if ((options as dns.LookupOptions).all)
        return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`${hostname} did not resolve`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}
