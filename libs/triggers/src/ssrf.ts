import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const refused = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) refused.addSubnet(net, bits, 'ipv4');
// ::/96 holds ::, ::1 and the deprecated IPv4-compatible form (::a.b.c.d); fec0::/10 is the
// deprecated site-local range; 100::/64 discard; 2001:db8::/32 documentation. The forms that
// carry an IPv4 address inside are refused whole (any inner address, private ones included):
// ::ffff:0:a.b.c.d (SIIT), 64:ff9b::/96 (NAT64), 2002::/16 (6to4) and 2001::/32 (Teredo).
for (const [net, bits] of [
  ['::', 96], ['fe80::', 10], ['fec0::', 10], ['fc00::', 7], ['ff00::', 8], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32],
  ['::ffff:0:0:0', 96], ['2002::', 16], ['2001::', 32],
] as const) {
  refused.addSubnet(net, bits, 'ipv6');
}

/** An embedded IPv4 address (::ffff:a.b.c.d) is judged as IPv4. */
function normalise(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

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

  /** Why an address is refused, or null when it may be contacted. */
  refusal(address: string): string | null {
    const n = normalise(address);
    if (isIP(n.address) === 0) return `not an IP address: ${address}`;
    if (!refused.check(n.address, n.family)) return null;
    if (this.allowed.check(n.address, n.family)) return null;
    return `address ${address} is private, loopback, link-local or reserved and not allow-listed (TRIGGER_ALLOWED_CIDRS)`;
  }

  hostAllowed(host: string): boolean {
    return this.allowedHosts.includes(host.toLowerCase());
  }

  /** Resolves the URL's host and checks every address; returns the first usable one or throws. */
  async check(url: string, resolve: (host: string) => Promise<string[]> = defaultResolve): Promise<string[]> {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [host] : await resolve(host);
    if (this.hostAllowed(host)) return addresses;
    if (!addresses.length) throw new SsrfError(`host ${host} did not resolve`);
    for (const a of addresses) {
      const why = this.refusal(a);
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
              const why = this.refusal(a.address);
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
