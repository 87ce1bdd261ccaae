/**
 * Which addresses adapters may connect to. Some ranges are refused whatever the configuration
 * (link-local and cloud metadata, unspecified, multicast, broadcast) because a request there is
 * never a gateway and is the classic SSRF target; loopback and private ranges are allowed unless
 * `denyLoopback` / `denyPrivate` say otherwise, since on-premise gateways live there.
 *
 * The policy is checked twice by the HTTP client: on the URL before anything happens
 * ({@link EgressPolicy.checkUrl}) and on every address a hostname resolves to, at connect time
 * ({@link EgressPolicy.checkAddress}), so DNS cannot smuggle a blocked address past it.
 *
 * @example
 * const policy = createEgressPolicy({ allow: [], deny: ['203.0.113.0/24'], denyLoopback: false, denyPrivate: false });
 * policy.checkAddress('169.254.169.254'); // { allowed: false, reason: '169.254.169.254 is link-local (cloud metadata)' }
 * policy.checkUrl('http://0xA9FEA9FE/'); // throws HttpFailure('blocked', …)
 */
import ipaddr from 'ipaddr.js';

import { ConfigError } from '../../domain/errors.js';

/** Raised inside the socket layer when the policy refuses the address about to be connected to. */
export class EgressBlockedError extends Error {
  readonly code = 'ERR_EGRESS_BLOCKED';

  constructor(message: string) {
    super(message);
    this.name = 'EgressBlockedError';
  }
}
import type { EgressPolicySettings } from '../adapter.js';
import { HttpFailure } from './types.js';
import { redactUrl } from './redact-url.js';

export type EgressVerdict = { allowed: true } | { allowed: false; reason: string };

export interface EgressPolicy {
  /** Judges one IP address (any spelling ipaddr.js parses, zone ids included). */
  checkAddress(ip: string): EgressVerdict;
  /**
   * Throws HttpFailure('blocked') for a URL that is not http(s), cannot be parsed, or whose host
   * is an IP literal the policy refuses. Hostnames pass: they are judged once resolved.
   * Returns the parsed URL.
   */
  checkUrl(url: string): URL;
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

/** How WHATWG writes every IPv4 host. */
const DOTTED_QUAD = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Verdicts kept per policy before the memo starts over (a fleet has fewer distinct addresses). */
const MAX_REMEMBERED_VERDICTS = 10_000;

interface NamedRange {
  cidr: Cidr;
  label: string;
}

function cidr(text: string): Cidr {
  return ipaddr.parseCIDR(text);
}

function named(label: string, ...ranges: string[]): NamedRange[] {
  return ranges.map((text) => ({ cidr: cidr(text), label }));
}

/**
 * The built-in ranges, parsed on the first check: parsing IPv6 CIDRs costs milliseconds, and most
 * runs of the CLI never check an address.
 */
interface BuiltInRanges {
  alwaysBlocked: NamedRange[];
  loopback: NamedRange[];
  private: NamedRange[];
  /**
   * IPv6 prefixes that carry an IPv4 address a packet may end up delivered to. Each is judged by
   * its embedded IPv4 address as well, so `[::ffff:169.254.169.254]` is as blocked as `169.254.169.254`.
   */
  embedding: { cidr: Cidr; extract: (parts: number[]) => [number, number] }[];
}

let builtIn: BuiltInRanges | undefined;

function builtInRanges(): BuiltInRanges {
  builtIn ??= {
    alwaysBlocked: [
      ...named('link-local (cloud metadata)', '169.254.0.0/16', 'fe80::/10'),
      // Metadata services that do not sit in link-local space (Alibaba Cloud, AWS over IPv6).
      ...named('a cloud metadata address', '100.100.100.200/32', 'fd00:ec2::254/128'),
      ...named('unspecified', '0.0.0.0/8', '::/128'),
      ...named('multicast', '224.0.0.0/4', 'ff00::/8'),
      ...named('broadcast', '255.255.255.255/32'),
    ],
    loopback: named('loopback', '127.0.0.0/8', '::1/128'),
    private: named('private', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'),
    embedding: [
      // IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, SIIT ::ffff:0:a.b.c.d, NAT64 64:ff9b::a.b.c.d.
      { cidr: cidr('::ffff:0:0/96'), extract: (p) => [p[6] ?? 0, p[7] ?? 0] },
      { cidr: cidr('::/96'), extract: (p) => [p[6] ?? 0, p[7] ?? 0] },
      { cidr: cidr('::ffff:0:0:0/96'), extract: (p) => [p[6] ?? 0, p[7] ?? 0] },
      { cidr: cidr('64:ff9b::/96'), extract: (p) => [p[6] ?? 0, p[7] ?? 0] },
      // 6to4 2002:AABB:CCDD::/48 and Teredo 2001:0::/32, whose client address is stored inverted.
      { cidr: cidr('2002::/16'), extract: (p) => [p[1] ?? 0, p[2] ?? 0] },
      { cidr: cidr('2001::/32'), extract: (p) => [(p[6] ?? 0) ^ 0xffff, (p[7] ?? 0) ^ 0xffff] },
    ],
  };
  return builtIn;
}

function matches(address: Address, range: Cidr): boolean {
  const [network, bits] = range;
  if (address.kind() === network.kind()) return address.match(range);
  // An IPv4 address also answers to an IPv6 rule written over the mapped range (::ffff:0:0/96);
  // an IPv6 address never answers to an IPv4 rule itself (the IPv4 address it embeds may).
  return address.kind() === 'ipv4' && (address as ipaddr.IPv4).toIPv4MappedAddress().match(network, bits);
}

function findRange(address: Address, ranges: NamedRange[]): NamedRange | undefined {
  return ranges.find((range) => matches(address, range.cidr));
}

function cidrText(range: Cidr): string {
  return `${range[0].toString()}/${range[1]}`;
}

function parseRules(field: string, entries: string[]): Cidr[] {
  return entries.map((entry) => {
    const text = entry.trim();
    try {
      if (text.includes('/')) return ipaddr.parseCIDR(text);
      const address = ipaddr.parse(text);
      return [address, address.kind() === 'ipv4' ? 32 : 128];
    } catch {
      throw new ConfigError(`network.${field}: "${entry}" is not a CIDR like 10.0.0.0/8`, {
        hint: `Fix or remove the entry in network.${field}.`,
      });
    }
  });
}

function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const parts = address.parts;
  const isUnspecifiedOrLoopback = parts.slice(0, 7).every((part) => part === 0) && (parts[7] ?? 0) <= 1;
  // `::` and `::1` sit inside ::/96 but are IPv6 addresses in their own right, judged as such.
  if (isUnspecifiedOrLoopback) return undefined;
  const form = builtInRanges().embedding.find((embedding) => address.match(embedding.cidr));
  if (form === undefined) return undefined;
  const [high, low] = form.extract(parts);
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * Builds the policy once per client; throws ConfigError naming the entry when a CIDR in
 * `allow` or `deny` cannot be parsed.
 */
export function createEgressPolicy(settings: EgressPolicySettings): EgressPolicy {
  const allow = parseRules('allow', settings.allow);
  const deny = parseRules('deny', settings.deny);

  /** The reason one address (with no embedded address considered) is refused, if it is. */
  function refusal(address: Address): string | undefined {
    const shown = address.toString();
    const always = findRange(address, builtInRanges().alwaysBlocked);
    if (always !== undefined) return `${shown} is ${always.label}`;
    if (allow.some((range) => matches(address, range))) return undefined;
    const denied = deny.find((range) => matches(address, range));
    if (denied !== undefined) return `${shown} is in the denied range ${cidrText(denied)} (network.deny)`;
    const loopback = settings.denyLoopback ? findRange(address, builtInRanges().loopback) : undefined;
    if (loopback !== undefined) return `${shown} is ${loopback.label} and loopback addresses are denied (network.denyLoopback)`;
    const privateRange = settings.denyPrivate ? findRange(address, builtInRanges().private) : undefined;
    if (privateRange !== undefined) {
      return `${shown} is in the ${privateRange.label} range ${cidrText(privateRange.cidr)} and private addresses are denied (network.denyPrivate)`;
    }
    return undefined;
  }

  // Verdicts are a pure function of the text and the settings, and a monitor asks about the same
  // few addresses thousands of times a minute: parsing each time was a tenth of a check's CPU.
  const verdicts = new Map<string, EgressVerdict>();
  function checkAddress(ip: string): EgressVerdict {
    let verdict = verdicts.get(ip);
    if (verdict === undefined) {
      if (verdicts.size >= MAX_REMEMBERED_VERDICTS) verdicts.clear();
      verdict = judge(ip);
      verdicts.set(ip, verdict);
    }
    return verdict;
  }

  function judge(ip: string): EgressVerdict {
    const text = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
    let address: Address;
    try {
      address = ipaddr.parse(text);
    } catch {
      return { allowed: false, reason: `"${ip}" is not an IP address` };
    }
    const own = refusal(address);
    if (own !== undefined) return { allowed: false, reason: own };
    if (address.kind() === 'ipv6') {
      const inner = embeddedIPv4(address as ipaddr.IPv6);
      const innerRefusal = inner === undefined ? undefined : refusal(inner);
      if (innerRefusal !== undefined) return { allowed: false, reason: `${address.toString()} embeds ${innerRefusal}` };
    }
    return { allowed: true };
  }

  function checkUrl(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new HttpFailure('blocked', `${redactUrl(url)}: not a valid URL`, redactUrl(url));
    }
    const refuse = (reason: string): never => {
      const shown = redactUrl(url);
      throw new HttpFailure('blocked', `${shown}: ${reason}`, shown);
    };
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') refuse(`only http and https URLs are allowed, not ${parsed.protocol}`);
    // WHATWG parsing has already turned every IPv4 spelling (decimal, hex, octal, short, with a
    // trailing dot) into a dotted quad and every IPv6 literal into its bracketed compressed form:
    // any other host is a name, judged once resolved.
    const host = parsed.hostname;
    if (host.startsWith('[') || DOTTED_QUAD.test(host)) {
      const verdict = checkAddress(host);
      if (!verdict.allowed) refuse(`blocked by the egress policy: ${verdict.reason}`);
    }
    return parsed;
  }

  return { checkAddress, checkUrl };
}
