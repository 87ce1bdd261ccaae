/**
 * The egress policy: the addresses it refuses and why, the IPv4 address it reads out of each
 * IPv6 form that carries one, the rules it builds from settings, and the hostile-URL corpus
 * through the HTTP client and the socket layer.
 *
 * Equivalent mutant left by `npm run test:mutation`: DOTTED_QUAD without its `^` anchor. A host
 * that ends in a dotted quad without being one has a numeric last label, so WHATWG parses it as
 * IPv4 and either rewrites it as a dotted quad or refuses the URL: no such host reaches the test.
 */
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import type { AdapterLogger, EgressPolicySettings, OutboundHttpSettings } from '../../../src/adapters/adapter.js';
import { createHttpClient } from '../../../src/adapters/http/client.js';
import type { HttpClientOptions } from '../../../src/adapters/http/client.js';
import { EgressBlockedError, createEgressPolicy } from '../../../src/adapters/http/egress-policy.js';
import { createGuardedAgents } from '../../../src/adapters/http/guarded-agents.js';
import { HttpFailure } from '../../../src/adapters/http/types.js';
import type { HttpClient } from '../../../src/adapters/http/types.js';
import { ConfigError } from '../../../src/domain/errors.js';

const OPEN: EgressPolicySettings = { allow: [], deny: [], denyLoopback: false, denyPrivate: false };

const HTTP_SETTINGS: OutboundHttpSettings = {
  defaultTimeoutMs: 2_000,
  healthCheckTimeoutMs: 2_000,
  retryPolicy: { maxAttempts: 3, backoffMultiplier: 2, maxBackoffMs: 50 },
  maxResponseBytes: 1024 * 1024,
};

const quietLogger: AdapterLogger = { warn: () => {}, info: () => {}, debug: () => {} };

/** A TCP listener that only counts who reaches it: the proof that a refused URL sent nothing. */
async function countingListener(host: string, port = 0): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  server.listen(port, host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: async () => {
      server.close();
      await once(server, 'close');
    },
  };
}

async function expectBlocked(client: HttpClient, url: string): Promise<HttpFailure> {
  const error = await client.request({ method: 'GET', url, timeoutMs: 2_000 }).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error, url).toBeInstanceOf(HttpFailure);
  expect((error as HttpFailure).kind, `${url}: ${(error as Error).message}`).toBe('blocked');
  return error as HttpFailure;
}

describe('WHATWG URL parsing (what the policy can rely on)', () => {
  it.each([
    ['http://2852039166/', '169.254.169.254'],
    ['http://0xA9FEA9FE/', '169.254.169.254'],
    ['http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254'],
    ['http://0251.0376.0251.0376/', '169.254.169.254'],
    ['http://169.254.43518/', '169.254.169.254'],
    ['http://127.1/', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://127.000.000.001/', '127.0.0.1'],
    ['http://%31%36%39.254.169.254/', '169.254.169.254'],
    ['http://[::ffff:169.254.169.254]/', '[::ffff:a9fe:a9fe]'],
    ['http://[::169.254.169.254]/', '[::a9fe:a9fe]'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', '[::ffff:7f00:1]'],
  ])('normalises %s to %s', (url, hostname) => {
    expect(new URL(url).hostname).toBe(hostname);
  });

  it.each(['http://[fe80::1%25eth0]/', 'http://0169.254.169.254/', 'http://4294967296/'])('rejects %s outright', (url) => {
    expect(() => new URL(url)).toThrow();
  });

  it('writes every host ipaddr.js would read as an address bracketed or as a dotted quad, never with a trailing dot', () => {
    // checkUrl judges exactly those two forms as literals and leaves every other host to the
    // connect-time check: this is what makes that complete.
    const host = fc.string({ unit: fc.constantFrom('0', '1', '2', '5', '7', '8', '9', 'a', 'e', 'f', 'x', 'g', '.', ':', '[', ']', '%', '-'), maxLength: 16 });
    fc.assert(
      fc.property(host, (text) => {
        if (!URL.canParse(`http://${text}/`)) return;
        const { hostname } = new URL(`http://${text}/`);
        const literal = hostname.startsWith('[') || /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
        const readAsAddress = ipaddr.isValid(hostname) || ipaddr.isValid(hostname.replace(/\.$/, ''));
        expect(readAsAddress && !literal, hostname).toBe(false);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('checkAddress', () => {
  const policy = createEgressPolicy(OPEN);

  it.each([
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::ffff:169.254.169.254', 'embeds 169.254.169.254 is link-local'],
    ['::ffff:224.0.0.1', 'multicast'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['100.100.100.200', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['not-an-ip', 'not an IP address'],
  ])('always refuses %s (%s)', (ip, reason) => {
    const verdict = createEgressPolicy(OPEN).checkAddress(ip);
    expect(verdict.allowed).toBe(false);
    expect(verdict.allowed ? '' : verdict.reason).toContain(reason);
  });

  it.each(['127.0.0.1', '::1', '10.0.0.5', '172.16.3.4', '192.168.1.1', 'fd12:3456::1', '8.8.8.8', '2001:db8::1', '::ffff:10.0.0.5'])(
    'allows %s by default',
    (ip) => {
      expect(policy.checkAddress(ip)).toEqual({ allowed: true });
    },
  );

  it('refuses loopback and private only when told to, naming the setting', () => {
    const strict = createEgressPolicy({ ...OPEN, denyLoopback: true, denyPrivate: true });
    expect(strict.checkAddress('127.0.0.1')).toEqual({
      allowed: false,
      reason: '127.0.0.1 is loopback and loopback addresses are denied (network.denyLoopback)',
    });
    expect(strict.checkAddress('172.20.0.1')).toEqual({
      allowed: false,
      reason: '172.20.0.1 is in the private range 172.16.0.0/12 and private addresses are denied (network.denyPrivate)',
    });
    expect(strict.checkAddress('::1').allowed).toBe(false);
    expect(strict.checkAddress('fc00::1').allowed).toBe(false);
    expect(strict.checkAddress('::ffff:127.0.0.1').allowed).toBe(false);
    expect(strict.checkAddress('8.8.8.8').allowed).toBe(true);
    // 172.32/16 is outside 172.16/12: a classic off-by-one in hand-written checks.
    expect(strict.checkAddress('172.32.0.1').allowed).toBe(true);
  });

  it('lets allow re-open what deny, denyLoopback and denyPrivate closed, but never the always-blocked ranges', () => {
    const policy = createEgressPolicy({
      allow: ['10.1.0.0/16', '127.0.0.1/32', '169.254.169.254/32', '0.0.0.0/0', '::/0'],
      deny: ['10.0.0.0/8'],
      denyLoopback: true,
      denyPrivate: true,
    });
    expect(policy.checkAddress('10.1.2.3').allowed).toBe(true);
    expect(policy.checkAddress('127.0.0.1').allowed).toBe(true);
    expect(policy.checkAddress('169.254.169.254').allowed).toBe(false);
    expect(policy.checkAddress('::ffff:169.254.169.254').allowed).toBe(false);
    expect(policy.checkAddress('224.0.0.1').allowed).toBe(false);
    expect(policy.checkAddress('fe80::1').allowed).toBe(false);

    const narrow = createEgressPolicy({ allow: ['10.1.0.0/16'], deny: ['10.0.0.0/8'], denyLoopback: false, denyPrivate: false });
    expect(narrow.checkAddress('10.2.0.1')).toEqual({ allowed: false, reason: '10.2.0.1 is in the denied range 10.0.0.0/8 (network.deny)' });
  });

  it('applies IPv4 rules to IPv4-mapped IPv6 addresses and accepts bare addresses', () => {
    const policy = createEgressPolicy({ ...OPEN, deny: ['203.0.113.0/24', '2001:db8::1'] });
    expect(policy.checkAddress('::ffff:203.0.113.7').allowed).toBe(false);
    expect(policy.checkAddress('2001:db8::1').allowed).toBe(false);
    expect(policy.checkAddress('2001:db8::2').allowed).toBe(true);
  });

  it('refuses to build with a malformed CIDR, naming the field and entry', () => {
    expect(() => createEgressPolicy({ ...OPEN, deny: ['10.0.0.0/33'] })).toThrow(ConfigError);
    expect(() => createEgressPolicy({ ...OPEN, allow: ['ten.0.0.0/8'] })).toThrow('network.allow: "ten.0.0.0/8" is not a CIDR');
    const error = (() => {
      try {
        createEgressPolicy({ ...OPEN, deny: ['10.0.0.0/8', '2001:db8::/129'] });
      } catch (thrown) {
        return thrown as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.message).toBe('network.deny: "2001:db8::/129" is not a CIDR like 10.0.0.0/8');
    expect(error.hint).toBe('Fix or remove the entry in network.deny.');
  });

  it.each([
    ['169.254.169.254', '169.254.169.254 is link-local (cloud metadata)'],
    ['fe80::1', 'fe80::1 is link-local (cloud metadata)'],
    ['100.100.100.200', '100.100.100.200 is a cloud metadata address'],
    ['fd00:ec2::254', 'fd00:ec2::254 is a cloud metadata address'],
    ['0.0.0.0', '0.0.0.0 is unspecified'],
    ['::', ':: is unspecified'],
    ['224.0.0.1', '224.0.0.1 is multicast'],
    ['ff02::1', 'ff02::1 is multicast'],
    ['255.255.255.255', '255.255.255.255 is broadcast'],
    ['not-an-ip', '"not-an-ip" is not an IP address'],
  ])('says why it refuses %s', (ip, reason) => {
    expect(createEgressPolicy(OPEN).checkAddress(ip)).toEqual({ allowed: false, reason });
  });

  it('names the range and the setting that refuse a loopback or private IPv6 address', () => {
    const strict = createEgressPolicy({ ...OPEN, denyLoopback: true, denyPrivate: true });
    expect(strict.checkAddress('::1')).toEqual({ allowed: false, reason: '::1 is loopback and loopback addresses are denied (network.denyLoopback)' });
    expect(strict.checkAddress('fd12:3456::1')).toEqual({
      allowed: false,
      reason: 'fd12:3456::1 is in the private range fc00::/7 and private addresses are denied (network.denyPrivate)',
    });
    expect(createEgressPolicy({ ...OPEN, denyPrivate: true }).checkAddress('127.0.0.1')).toEqual({ allowed: true });
    expect(createEgressPolicy({ ...OPEN, denyLoopback: true }).checkAddress('10.0.0.5')).toEqual({ allowed: true });
  });

  it('matches an IPv4 address against a rule written over the IPv4-mapped IPv6 range', () => {
    const policy = createEgressPolicy({ ...OPEN, deny: ['::ffff:203.0.113.0/120'] });
    expect(policy.checkAddress('203.0.113.7')).toEqual({ allowed: false, reason: '203.0.113.7 is in the denied range ::ffff:cb00:7100/120 (network.deny)' });
    expect(policy.checkAddress('::ffff:203.0.113.7')).toEqual({
      allowed: false,
      reason: '::ffff:cb00:7107 is in the denied range ::ffff:cb00:7100/120 (network.deny)',
    });
    expect(policy.checkAddress('203.0.114.7')).toEqual({ allowed: true });
    expect(policy.checkAddress('2001:db8::1')).toEqual({ allowed: true });

    const reopened = createEgressPolicy({ ...OPEN, allow: ['::ffff:10.1.0.0/112'], denyPrivate: true });
    expect(reopened.checkAddress('10.1.2.3')).toEqual({ allowed: true });
    expect(reopened.checkAddress('10.2.0.1').allowed).toBe(false);
  });

  it('never matches an IPv6 address against an IPv4 rule by itself, only the IPv4 address it embeds', () => {
    const policy = createEgressPolicy({ ...OPEN, deny: ['0.0.0.0/0'] });
    expect(policy.checkAddress('2001:db8::1')).toEqual({ allowed: true });
    expect(policy.checkAddress('8.8.8.8')).toEqual({ allowed: false, reason: '8.8.8.8 is in the denied range 0.0.0.0/0 (network.deny)' });
  });

  it('reads a bare address as a one-address rule, and ignores white space around an entry', () => {
    const policy = createEgressPolicy({ ...OPEN, deny: [' 203.0.113.7 ', '2001:db8::1\t'] });
    expect(policy.checkAddress('203.0.113.7')).toEqual({ allowed: false, reason: '203.0.113.7 is in the denied range 203.0.113.7/32 (network.deny)' });
    expect(policy.checkAddress('203.0.113.8')).toEqual({ allowed: true });
    expect(policy.checkAddress('2001:db8::1')).toEqual({ allowed: false, reason: '2001:db8::1 is in the denied range 2001:db8::1/128 (network.deny)' });
    expect(policy.checkAddress('2001:db8::2')).toEqual({ allowed: true });
  });

  it('strips the brackets of an IPv6 literal only when both are there', () => {
    const policy = createEgressPolicy(OPEN);
    expect(policy.checkAddress('[2001:db8::1]')).toEqual({ allowed: true });
    expect(policy.checkAddress('[::ffff:a9fe:a9fe]')).toEqual({
      allowed: false,
      reason: '::ffff:a9fe:a9fe embeds 169.254.169.254 is link-local (cloud metadata)',
    });
    for (const ip of ['[::1', '::1]', 'x::1]', '[::1]x']) {
      expect(policy.checkAddress(ip)).toEqual({ allowed: false, reason: `"${ip}" is not an IP address` });
    }
  });
});

/** Built inside each test, so that a policy that fails to build fails the test. */
const denyingDocumentationRange = () => createEgressPolicy({ ...OPEN, deny: ['203.0.113.0/24'] });

describe('checkAddress: the IPv4 address inside an IPv6 one', () => {
  const denied = (address: string) => ({ allowed: false, reason: `${address} embeds 203.0.113.7 is in the denied range 203.0.113.0/24 (network.deny)` });

  // Each spelled in hex, as WHATWG and DNS answers write them: ipaddr.js reads the dotted
  // spelling ::a.b.c.d as ::ffff:a.b.c.d, which would test the mapped form twice.
  it.each([
    ['IPv4-mapped', '::ffff:cb00:7107', '::ffff:c633:6407'],
    ['IPv4-compatible', '::cb00:7107', '::c633:6407'],
    ['SIIT', '::ffff:0:cb00:7107', '::ffff:0:c633:6407'],
    ['NAT64', '64:ff9b::cb00:7107', '64:ff9b::c633:6407'],
    ['6to4', '2002:cb00:7107::1', '2002:c633:6407::1'],
    ['6to4, with an interface id', '2002:cb00:7107:1:2:3:4:5', '2002:c633:6407:1:2:3:4:5'],
    // Teredo keeps the client's address with every bit inverted: 0x34ff ^ 0xffff = 0xcb00 (203.0).
    ['Teredo', '2001:0:4136:e378:8000:63bf:34ff:8ef8', '2001:0:4136:e378:8000:63bf:39cc:9bf8'],
  ])('reads 203.0.113.7 out of the %s form %s, and 198.51.100.7 out of %s', (_form, refused, allowed) => {
    const policy = denyingDocumentationRange();
    expect(policy.checkAddress(refused)).toEqual(denied(refused));
    expect(policy.checkAddress(allowed)).toEqual({ allowed: true });
  });

  it('judges ::1 and :: as themselves, but ::2 by the 0.0.0.2 it embeds', () => {
    const policy = denyingDocumentationRange();
    expect(policy.checkAddress('::1')).toEqual({ allowed: true });
    expect(policy.checkAddress('::')).toEqual({ allowed: false, reason: ':: is unspecified' });
    expect(policy.checkAddress('::2')).toEqual({ allowed: false, reason: '::2 embeds 0.0.0.2 is unspecified' });
    expect(policy.checkAddress('::ffff:0:0')).toEqual({ allowed: false, reason: '::ffff:0:0 embeds 0.0.0.0 is unspecified' });
  });

  it('lets an IPv6 address with no IPv4 address inside through', () => {
    const policy = denyingDocumentationRange();
    for (const ip of ['2001:db8::1', '1::1', '1::2', '2001:db8::cb00:7107', '2003:cb00:7107::1', '64:ff9a::cb00:7107']) {
      expect(policy.checkAddress(ip), ip).toEqual({ allowed: true });
    }
  });
});

describe('checkAddress: remembered verdicts', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('parses an address once, however often it is asked about', () => {
    const policy = createEgressPolicy({ ...OPEN, deny: ['203.0.113.0/24'] });
    const parse = vi.spyOn(ipaddr, 'parse');
    expect(policy.checkAddress('203.0.113.7').allowed).toBe(false);
    expect(policy.checkAddress('8.8.8.8').allowed).toBe(true);
    expect(policy.checkAddress('203.0.113.7').allowed).toBe(false);
    expect(policy.checkAddress('8.8.8.8').allowed).toBe(true);
    expect(parse.mock.calls.map(([text]) => text)).toEqual(['203.0.113.7', '8.8.8.8']);
  });

  it('remembers at most 10,000 verdicts, then starts over', () => {
    const policy = createEgressPolicy(OPEN);
    const address = (n: number) => `10.${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}`;
    for (let n = 0; n < 10_000; n++) policy.checkAddress(address(n));
    const parse = vi.spyOn(ipaddr, 'parse');
    policy.checkAddress(address(0));
    expect(parse).not.toHaveBeenCalled();
    // The 10,001st address: the memo is full, so it starts over, and the first is parsed again.
    policy.checkAddress(address(10_000));
    policy.checkAddress(address(0));
    expect(parse.mock.calls.map(([text]) => text)).toEqual([address(10_000), address(0)]);
  });
});

describe('checkUrl', () => {
  function refusal(url: string): HttpFailure {
    try {
      denyingDocumentationRange().checkUrl(url);
    } catch (error) {
      expect(error).toBeInstanceOf(HttpFailure);
      expect((error as HttpFailure).kind).toBe('blocked');
      return error as HttpFailure;
    }
    throw new Error(`${url} was let through`);
  }

  it.each(['http://[2001:db8::1]/', 'https://[2001:db8::1]:8443/v1', 'http://8.8.8.8/', 'https://198.51.100.7/', 'http://gateway.example./', 'http://1.2.3.4x.example/'])(
    'lets %s through, parsed',
    (url) => {
      expect(denyingDocumentationRange().checkUrl(url).href).toBe(new URL(url).href);
    },
  );

  it.each([
    ['http://[::2]/', 'http://[::2]/: blocked by the egress policy: ::2 embeds 0.0.0.2 is unspecified'],
    ['https://203.0.113.7:8443/health', 'https://203.0.113.7:8443/health: blocked by the egress policy: 203.0.113.7 is in the denied range 203.0.113.0/24 (network.deny)'],
    ['http://[64:ff9b::203.0.113.7]/', 'http://[64:ff9b::cb00:7107]/: blocked by the egress policy: 64:ff9b::cb00:7107 embeds 203.0.113.7 is in the denied range 203.0.113.0/24 (network.deny)'],
    ['http://203.0.113.7./', 'http://203.0.113.7/: blocked by the egress policy: 203.0.113.7 is in the denied range 203.0.113.0/24 (network.deny)'],
    ['ftp://8.8.8.8/', 'ftp://8.8.8.8/: only http and https URLs are allowed, not ftp:'],
    ['http://admin:s3cret@[bad/?token=t0ken', 'http://[bad/: not a valid URL'],
    ['http://admin:s3cret@203.0.113.7/?token=t0ken', 'http://203.0.113.7/: blocked by the egress policy: 203.0.113.7 is in the denied range 203.0.113.0/24 (network.deny)'],
  ])('refuses %s, saying why in the URL as parsed, without its secrets', (url, message) => {
    const failure = refusal(url);
    expect(failure.message).toBe(message);
    expect(failure.url).toBe(message.slice(0, message.indexOf(': ')));
  });
});

describe('EgressBlockedError', () => {
  it('carries the code the HTTP client looks for, and its own name', () => {
    const error = new EgressBlockedError('169.254.169.254 is link-local (cloud metadata)');
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('ERR_EGRESS_BLOCKED');
    expect(error.name).toBe('EgressBlockedError');
    expect(error.message).toBe('169.254.169.254 is link-local (cloud metadata)');
  });
});

/** Refused under the default (open) settings: the always-blocked ranges in every spelling. */
const ALWAYS_HOSTILE = [
  'http://169.254.169.254/',
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'https://169.254.169.254:443/',
  'http://169.254.169.254./',
  'http://2852039166/',
  'http://0xA9FEA9FE/',
  'http://0xa9fea9fe./',
  'http://0x00000000a9fea9fe/',
  'http://0xa9.0xfe.0xa9.0xfe/',
  'http://0251.0376.0251.0376/',
  'http://0251.254.169.254/',
  'http://0xa9.254.0251.0xfe/',
  'http://169.254.43518/',
  'http://169.16689662/',
  'http://%31%36%39.254.169.254/',
  'http://\uff11\uff16\uff19.\uff12\uff15\uff14.\uff11\uff16\uff19.\uff12\uff15\uff14/',
  'http://gateway.example@169.254.169.254/',
  'http://[::ffff:169.254.169.254]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[0:0:0:0:0:ffff:a9fe:a9fe]/',
  'http://[::169.254.169.254]/',
  'http://[::ffff:0:a9fe:a9fe]/',
  'http://[64:ff9b::169.254.169.254]/',
  'http://[2002:a9fe:a9fe::1]/',
  'http://[2001:0:4136:e378:8000:63bf:5601:5601]/',
  'http://[fe80::1]/',
  'http://[FE80::a9fe:a9fe]/',
  'http://[fe80::1%25eth0]/',
  'http://100.100.100.200/latest/meta-data/',
  'http://[fd00:ec2::254]/',
  'http://0.0.0.0/',
  'http://0/',
  'http://0.0.0.0:8080/',
  'http://[::]/',
  'http://[0:0:0:0:0:0:0:0]/',
  'http://[::ffff:0.0.0.0]/',
  'http://224.0.0.1/',
  'http://239.255.255.250:1900/',
  'http://[ff02::1]/',
  'http://[ff05::1:3]/',
  'http://[::ffff:224.0.0.1]/',
  'http://255.255.255.255/',
  'http://0xffffffff/',
  'http://4294967295/',
  'http://[::ffff:255.255.255.255]/',
  'file:///etc/passwd',
  'gopher://127.0.0.1:6379/_INFO',
  'not a url',
];

const LOOPBACK_HOSTILE = (port: number): string[] => [
  `http://127.0.0.1:${port}/`,
  `http://127.1:${port}/`,
  `http://127.0.1:${port}/`,
  `http://2130706433:${port}/`,
  `http://0x7f000001:${port}/`,
  `http://0x7f.1:${port}/`,
  `http://0177.0.0.1:${port}/`,
  `http://0177.1:${port}/`,
  `http://127.000.000.001:${port}/`,
  `http://127.255.255.254:${port}/`,
  `http://[::1]:${port}/`,
  `http://[0:0:0:0:0:0:0:1]:${port}/`,
  `http://[::ffff:127.0.0.1]:${port}/`,
  `http://[::ffff:7f00:1]:${port}/`,
  `http://user:pass@127.0.0.1:${port}/`,
];

const PRIVATE_HOSTILE = [
  'http://10.0.0.5:9090/health',
  'http://012.0.0.5/',
  'http://167772165/',
  'http://0x0a000005/',
  'http://172.16.0.1/',
  'http://172.31.255.254/',
  'http://192.168.1.1/',
  'http://[fd12:3456::1]/',
  'http://[::ffff:10.0.0.5]/',
  'http://[::ffff:c0a8:101]/',
];

describe('the hostile-URL corpus', () => {
  const loopback = { v4: undefined as Awaited<ReturnType<typeof countingListener>> | undefined, v6: undefined as Awaited<ReturnType<typeof countingListener>> | undefined };
  const clients: HttpClient[] = [];
  const client = (network: EgressPolicySettings, options?: HttpClientOptions) => {
    const created = createHttpClient(HTTP_SETTINGS, network, quietLogger, options);
    clients.push(created);
    return created;
  };
  let refused = 0;
  let total = 0;
  let refusedBySocketLayer = 0;
  let totalAtSocketLayer = 0;

  beforeAll(async () => {
    loopback.v4 = await countingListener('127.0.0.1');
    // The same port on ::1 so the IPv6 spellings would land on a listener too, were they let through.
    loopback.v6 = await countingListener('::1', loopback.v4.port).catch(() => undefined);
  });

  afterAll(async () => {
    for (const created of clients) created.close();
    await loopback.v4?.close();
    await loopback.v6?.close();
    console.info(`hostile-URL corpus: ${refused}/${total} refused by the client, ${refusedBySocketLayer}/${totalAtSocketLayer} by the agents alone`);
  });

  async function run(network: EgressPolicySettings, urls: string[]): Promise<void> {
    const policy = createEgressPolicy(network);
    const http = client(network);
    for (const url of urls) {
      total += 1;
      expect(() => policy.checkUrl(url), url).toThrow(HttpFailure);
      await expectBlocked(http, url);
      refused += 1;
    }
  }

  it('refuses every always-blocked spelling, even with everything else allowed', async () => {
    await run(OPEN, ALWAYS_HOSTILE);
    await run({ ...OPEN, allow: ['0.0.0.0/0', '::/0', '169.254.0.0/16'] }, ALWAYS_HOSTILE);
  });

  it('refuses loopback in every spelling under denyLoopback, and nothing reaches the listener', async () => {
    const port = loopback.v4?.port ?? 0;
    await run({ ...OPEN, denyLoopback: true }, LOOPBACK_HOSTILE(port));
    // 0.0.0.0 and :: connect to the local host on Linux: the listener would see them.
    await run(OPEN, [`http://0.0.0.0:${port}/`, `http://0:${port}/`, `http://[::]:${port}/`]);
    expect(loopback.v4?.connections()).toBe(0);
    expect(loopback.v6?.connections() ?? 0).toBe(0);
  });

  it('refuses every literal at the socket layer too, with no URL check in front', async () => {
    const port = loopback.v4?.port ?? 0;
    const cases: [EgressPolicySettings, string[]][] = [
      [OPEN, ALWAYS_HOSTILE.filter((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol))],
      [OPEN, [`http://0.0.0.0:${port}/`, `http://[::]:${port}/`]],
      [{ ...OPEN, denyLoopback: true }, LOOPBACK_HOSTILE(port)],
      [{ ...OPEN, denyPrivate: true }, PRIVATE_HOSTILE],
    ];
    for (const [network, urls] of cases) {
      const agents = createGuardedAgents(createEgressPolicy(network));
      for (const url of urls) {
        // Plain node:http, not the client: the agent alone must stop it.
        const outcome = await new Promise<string | undefined>((resolve) => {
          const secure = url.startsWith('https:');
          const request = (secure ? https : http).get(url, { agent: secure ? agents.https : agents.http, timeout: 2_000 }, (res) => {
            res.resume();
            resolve(`answered ${res.statusCode}`);
          });
          request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code));
        });
        totalAtSocketLayer += 1;
        expect(outcome, url).toBe('ERR_EGRESS_BLOCKED');
        refusedBySocketLayer += 1;
      }
      agents.http.destroy();
      agents.https.destroy();
    }
    expect(loopback.v4?.connections()).toBe(0);
    expect(loopback.v6?.connections() ?? 0).toBe(0);
  });

  it('refuses private ranges under denyPrivate, and deny CIDRs', async () => {
    await run({ ...OPEN, denyPrivate: true }, PRIVATE_HOSTILE);
    await run({ ...OPEN, deny: ['203.0.113.0/24'] }, ['http://203.0.113.7/', 'http://[::ffff:203.0.113.7]/', 'http://3405803783/']);
  });

  it('lets allow re-open a denied range but not the metadata address', async () => {
    const network: EgressPolicySettings = { allow: ['127.0.0.0/8', '169.254.169.254/32'], deny: [], denyLoopback: true, denyPrivate: false };
    const port = loopback.v4?.port ?? 0;
    const http = client(network);
    const failure = await http.request({ method: 'GET', url: `http://127.0.0.1:${port}/`, timeoutMs: 2_000 }).catch((error: unknown) => error);
    // Allowed through the policy: the listener drops the socket, so the request fails on the network instead.
    expect((failure as HttpFailure).kind).toBe('network');
    expect(loopback.v4?.connections()).toBe(1);
    total += 1;
    await expectBlocked(http, 'http://169.254.169.254/');
    refused += 1;
  });

  it('judges the address a hostname resolves to, at connect time', async () => {
    const port = loopback.v4?.port ?? 0;
    const before = loopback.v4?.connections() ?? 0;
    // `localhost` is not an IP literal, so only the connect-time lookup can catch it.
    const strict = client({ ...OPEN, denyLoopback: true });
    expect(() => createEgressPolicy({ ...OPEN, denyLoopback: true }).checkUrl(`http://localhost:${port}/`)).not.toThrow();
    const failure = await expectBlocked(strict, `http://localhost:${port}/`);
    expect(failure.message).toMatch(/^http:\/\/localhost:\d+\/: blocked by the egress policy: localhost is blocked: it resolves to (127\.0\.0\.1|::1) is loopback/);

    const names: Record<string, string[]> = {
      'metadata.test': ['169.254.169.254'],
      'rebound.test': ['127.0.0.1'],
      'mapped.test': ['::ffff:169.254.169.254'],
      'mixed.test': ['169.254.169.254', '127.0.0.1'],
    };
    const options: HttpClientOptions = {
      resolve: async (hostname) =>
        (names[hostname] ?? []).map((address) => ({ address, family: net.isIP(address) })),
    };
    const open = client(OPEN, options);
    const denying = client({ ...OPEN, denyLoopback: true }, options);
    for (const [http, url] of [
      [open, 'http://metadata.test/'],
      [open, 'http://mapped.test/'],
      [denying, `http://rebound.test:${port}/`],
      [denying, `http://mixed.test:${port}/`],
    ] as const) {
      total += 1;
      const blocked = await expectBlocked(http, url);
      expect(blocked.message).toContain('resolves to');
      refused += 1;
    }
    expect(loopback.v4?.connections()).toBe(before);

    // With a mixed answer only the allowed address is ever dialled.
    await open.request({ method: 'GET', url: `http://mixed.test:${port}/`, timeoutMs: 2_000 }).catch(() => undefined);
    expect(loopback.v4?.connections()).toBe(before + 1);
  });

  it('does not follow a redirect to a blocked address (or anywhere)', async () => {
    const target = await countingListener('127.0.0.1');
    const locations = ['http://169.254.169.254/latest/meta-data/', `http://127.0.0.1:${target.port}/`];
    let served = 0;
    const server = http.createServer((_req, res) => {
      res.writeHead(302, { location: locations[served++ % locations.length] });
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const http1 = client(OPEN);
    for (const location of locations) {
      const res = await http1.request({ method: 'GET', url, timeoutMs: 2_000, retry: true });
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe(location);
    }
    expect(target.connections()).toBe(0);
    server.close();
    await target.close();
  });
});
