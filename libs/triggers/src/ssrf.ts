import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** A range deliveries may not reach unless allow-listed, with what it is (for the refusal message). */
interface RefusedRange {
  net: string;
  bits: number;
  family: 'ipv4' | 'ipv6';
  kind: string;
  list: BlockList;
}

function range(net: string, bits: number, family: 'ipv4' | 'ipv6', kind: string): RefusedRange {
  const list = new BlockList();
  list.addSubnet(net, bits, family);
  return { net, bits, family, kind, list };
}

// IPv4 first: an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged as its IPv4 address.
// ::/96 holds ::, ::1 and the deprecated IPv4-compatible form (::a.b.c.d); fec0::/10 is the
// deprecated site-local range; 100::/64 discard; documentation, benchmarking and ORCHID ranges
// (IANA's special-purpose registries: never a receiver). The forms that carry an IPv4 address
// inside are refused whole (any inner address, private ones included): ::ffff:0:a.b.c.d (SIIT),
// 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64), 2002::/16 (6to4) and 2001::/32 (Teredo).
const refusedRanges: RefusedRange[] = [
  range('0.0.0.0', 8, 'ipv4', "unspecified ('this network')"),
  range('10.0.0.0', 8, 'ipv4', 'private'),
  range('100.64.0.0', 10, 'ipv4', 'shared (carrier-grade NAT)'),
  range('127.0.0.0', 8, 'ipv4', 'loopback'),
  range('169.254.0.0', 16, 'ipv4', 'link-local'),
  range('172.16.0.0', 12, 'ipv4', 'private'),
  range('192.0.0.0', 24, 'ipv4', 'reserved (IETF protocol assignments)'),
  range('192.0.2.0', 24, 'ipv4', 'reserved (documentation)'),
  range('192.88.99.0', 24, 'ipv4', 'reserved (6to4 relay anycast, deprecated)'),
  range('192.168.0.0', 16, 'ipv4', 'private'),
  range('198.18.0.0', 15, 'ipv4', 'reserved (benchmarking)'),
  range('198.51.100.0', 24, 'ipv4', 'reserved (documentation)'),
  range('203.0.113.0', 24, 'ipv4', 'reserved (documentation)'),
  range('224.0.0.0', 4, 'ipv4', 'multicast'),
  range('240.0.0.0', 4, 'ipv4', 'reserved'),
  range('::', 128, 'ipv6', 'unspecified'),
  range('::1', 128, 'ipv6', 'loopback'),
  range('::', 96, 'ipv6', 'reserved (IPv4-compatible)'),
  range('fe80::', 10, 'ipv6', 'link-local'),
  range('fec0::', 10, 'ipv6', 'site-local (deprecated)'),
  range('fc00::', 7, 'ipv6', 'private (unique local)'),
  range('ff00::', 8, 'ipv6', 'multicast'),
  range('64:ff9b::', 96, 'ipv6', 'NAT64 (carries an IPv4 address)'),
  range('64:ff9b:1::', 48, 'ipv6', 'local-use NAT64 (carries an IPv4 address)'),
  range('100::', 64, 'ipv6', 'reserved (discard-only)'),
  range('2001:db8::', 32, 'ipv6', 'reserved (documentation)'),
  range('3fff::', 20, 'ipv6', 'reserved (documentation)'),
  range('2001:2::', 48, 'ipv6', 'reserved (benchmarking)'),
  range('2001:10::', 28, 'ipv6', 'reserved (ORCHID, deprecated)'),
  range('2001:20::', 28, 'ipv6', 'reserved (ORCHIDv2)'),
  range('::ffff:0:0:0', 96, 'ipv6', 'SIIT (carries an IPv4 address)'),
  range('2002::', 16, 'ipv6', '6to4 (carries an IPv4 address)'),
  range('2001::', 32, 'ipv6', 'Teredo (carries an IPv4 address)'),
];

/** An embedded IPv4 address (::ffff:a.b.c.d) is judged as IPv4. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/** The refused range holding an address, if any. */
function refusedRangeOf(address: string, family: 'ipv4' | 'ipv6'): RefusedRange | undefined {
  return refusedRanges.find((r) => r.list.check(address, family));
}

/** A URL's host as an address or name: an IPv6 literal without its brackets. */
const hostOf = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');

export class AddressPolicy {
  private readonly allowed = new BlockList();

  constructor(
    allowedCidrs: string[],
    private readonly allowedHosts: string[] = [],
  ) {
    for (const entry of allowedCidrs) {
      const [addr, bits] = entry.split('/');
      const family = isIP(addr!) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.allowed.addAddress(addr!, family);
      else this.allowed.addSubnet(addr!, Number(bits), family);
    }
  }

  /**
   * Why an address is refused, or null when it may be contacted. `host`: the name that resolved
   * to it, when the URL named one. The message says which kind of address it is and its range.
   */
  refusal(address: string, host?: string): string | null {
    const n = normalise(address);
    if (isIP(n.address) === 0) return `not an IP address: ${address}`;
    const refused = refusedRangeOf(n.address, n.family);
    if (!refused) return null;
    if (this.allowed.check(n.address, n.family)) return null;
    const subject = host === undefined ? `address ${address} is` : `host ${host} resolves to ${address}, which is`;
    return (
      `${subject} ${refused.kind}, in ${refused.net}/${refused.bits}: not allowed unless allow-listed (TRIGGER_ALLOWED_CIDRS${host === undefined ? '' : ' or TRIGGER_ALLOWED_HOSTS'}); ` +
      'deliveries to private, loopback, link-local and reserved addresses are refused'
    );
  }

  /**
   * Why a URL whose host is an IP address literal is refused, or null (also for host names: what
   * those resolve to is known only when a delivery dials them, and is checked then).
   */
  literalRefusal(url: URL): string | null {
    const host = hostOf(url);
    if (isIP(host) === 0 || this.hostAllowed(host)) return null;
    return this.refusal(host);
  }

  hostAllowed(host: string): boolean {
    return this.allowedHosts.includes(host.toLowerCase());
  }

  /** Resolves the URL's host and checks every address; returns the first usable one or throws. */
  async check(url: string, resolve: (host: string) => Promise<string[]> = defaultResolve): Promise<string[]> {
    const host = hostOf(new URL(url));
    const addresses = isIP(host) ? [host] : await resolve(host);
    if (this.hostAllowed(host)) return addresses;
    if (!addresses.length) throw new SsrfError(`host ${host} did not resolve`);
    for (const a of addresses) {
      const why = this.refusal(a, isIP(host) ? undefined : host);
      if (why) throw new SsrfError(why);
    }
    return addresses;
  }

  private readonly checked = new Map<string, number>();

  /**
   * `check` with a short memory of URLs that passed (a few seconds): the same receiver gets
   * thousands of deliveries a second. Safe because the policy is applied again to the address
   * actually dialled (connectLookup), and IP-literal URLs do not change meaning.
   */
  async checkCached(url: string, ttlMs = 5000): Promise<void> {
    const until = this.checked.get(url);
    const now = Date.now();
    if (until !== undefined && until > now) return;
    await this.check(url);
    if (this.checked.size > 10_000) this.checked.clear();
    this.checked.set(url, now + ttlMs);
  }

  /**
   * A `lookup` for undici's connector that applies the same policy to the address actually
   * dialled, so a DNS answer that changes between check and connect (rebinding) is refused too.
   */
  connectLookup() {
    return (
      hostname: string,
      options: unknown,
      callback: (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void,
    ) => {
      const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all === true;
      lookup(hostname, { all: true })
        .then((answers) => {
          if (!this.hostAllowed(hostname)) {
            for (const a of answers) {
              const why = this.refusal(a.address, isIP(hostname) ? undefined : hostname);
              if (why) throw new SsrfError(why);
            }
          }
          if (!answers.length) throw new SsrfError(`host ${hostname} did not resolve`);
          if (all) callback(null, answers);
          else callback(null, answers[0]!.address, answers[0]!.family);
        })
        .catch((e: Error) => callback(e, []));
    };
  }
}

export class SsrfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SsrfError';
  }
}

async function defaultResolve(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address);
}
