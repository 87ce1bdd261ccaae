/**
 * The one scrubber every adapter's errors and logs go through: a known secret is cut as it is and
 * in the encodings it travels in (base64 at any offset, as inside a Basic header; URL and form
 * encoding; JSON escapes), and Authorization values and URL userinfo are cut whatever they hold.
 *
 * Equivalent mutants left by `npm run test:mutation`:
 * - `offset < 3` → `offset <= 3`. A fourth offset puts three zero bytes, one whole base64 group,
 *   before the secret: its fragment is offset 0's again, and the set of needles keeps one.
 * - the constructor's default `[]` → `["Stryker was here"]`. SHAPE_SCRUBBER would then also cut
 *   that sentence, which no message holds.
 */
import { describe, expect, it } from 'vitest';
import { SecretScrubber, SHAPE_SCRUBBER } from '../../../src/secrets/scrubber.js';

const SECRET = 'cs-Sup3r/secret+value=';

describe('SecretScrubber', () => {
  it('cuts a secret as it is, URL- and form-encoded, and JSON-escaped', () => {
    const scrubber = new SecretScrubber([SECRET, 'with "quotes" inside']);
    for (const form of [SECRET, encodeURIComponent(SECRET), encodeURIComponent(SECRET).replace(/%20/g, '+'), 'with \\"quotes\\" inside']) {
      expect(scrubber.scrub(`before ${form} after`)).toBe('before *** after');
    }
  });

  it('cuts it inside base64 whatever precedes it: a Basic header of client:secret, echoed without its scheme', () => {
    const scrubber = new SecretScrubber([SECRET]);
    for (const client of ['', 'a', 'ab', 'abc', 'client-id', 'client-id2']) {
      const encoded = Buffer.from(`${client}:${SECRET}`).toString('base64');
      const echoed = scrubber.scrub(`invalid credentials ${encoded} for this client`);
      // At most the characters a neighbour shares with it stay: never enough to rebuild it.
      expect(echoed).toContain('***');
      const left = echoed.replace('invalid credentials ', '').replace(' for this client', '').replace('***', '');
      expect(left.length).toBeLessThanOrEqual(Math.ceil(((client.length + 1) * 4) / 3) + 8);
      expect(Buffer.from(left, 'base64').toString('latin1')).not.toContain(SECRET.slice(0, 6));
    }
    const urlSafe = Buffer.from(`x:${SECRET}`).toString('base64url');
    expect(scrubber.scrub(urlSafe)).toContain('***');
  });

  it('cuts Authorization values and URL userinfo even when the secret is not known', () => {
    expect(SHAPE_SCRUBBER.scrub('rejected Authorization: Basic YWRtaW46czNjcmV0 (HTTP 401)')).toBe('rejected Authorization: Basic *** (HTTP 401)');
    expect(SHAPE_SCRUBBER.scrub('token Bearer eyJhbGciOi.J9.eyJzdWIi was refused')).toBe('token Bearer *** was refused');
    expect(SHAPE_SCRUBBER.scrub('cannot reach https://admin:s3cret@gw.internal:9090/api')).toBe('cannot reach https://***@gw.internal:9090/api');
    // Its own prose is left alone.
    expect(SHAPE_SCRUBBER.scrub('the token endpoint did not return a bearer access_token')).toBe('the token endpoint did not return a bearer access_token');
  });

  it('leaves values too short to protect anything, and adds secrets with with()', () => {
    expect(new SecretScrubber(['gw', '', null, undefined]).scrub('gw-1 is down')).toBe('gw-1 is down');
    const scrubber = new SecretScrubber(['first-secret']).with(['second-secret']);
    expect(scrubber.scrub('first-secret and second-secret')).toBe('*** and ***');
  });
});

describe('SecretScrubber, at its edges', () => {
  it('cuts a secret of 4 characters and leaves one of 3, in every form', () => {
    expect(new SecretScrubber(['abcd']).scrub('abcd, YWJjZA==')).toBe('***, ***');
    // 'YWJj' is base64 of 'abc': a form of a 3-character secret is not one to look for either.
    expect(new SecretScrubber(['abc']).scrub('abc, YWJj')).toBe('abc, YWJj');
  });

  it('cuts a form-encoded secret, its spaces written as +', () => {
    expect(new SecretScrubber(['my secret pass']).scrub('password=my+secret+pass&grant_type=password')).toBe('password=***&grant_type=password');
  });

  it('cuts the longer of two secrets whole when it holds the shorter', () => {
    expect(new SecretScrubber(['token', 'secret-token-123']).scrub('sent secret-token-123, then token')).toBe('sent ***, then ***');
  });

  it('leaves a base64 fragment shorter than 8 characters, which ordinary text matches too often', () => {
    // base64 of 'abcdef': its first group, YWJj, is also that of the secret 'abcd'.
    expect(new SecretScrubber(['abcd']).scrub('YWJjZGVm')).toBe('YWJjZGVm');
  });

  it.each([
    ['base64', 'base64'],
    ['base64url', 'base64url'],
  ] as const)('in %s, leaves only the groups that hold a byte of what surrounds the secret', (_name, encoding) => {
    // '~' and '?' encode to '+' and '/' (or '-' and '_'), which the fragments must carry across.
    for (const secret of ['~~~???~~~???', 'p4ssw0rd', 'p4ssw0rd!', 'p4ssw0rd!?']) {
      const scrubber = new SecretScrubber([secret]);
      for (const before of [':', 'a:', 'ab:', 'client-id:']) {
        for (const after of ['', '"}', '"}\n']) {
          const encoded = Buffer.from(`${before}${secret}${after}`).toString(encoding);
          const scrubbed = scrubber.scrub(encoded);
          const context = `${encoding} of ${before}${secret}${JSON.stringify(after)}: ${scrubbed}`;
          expect(scrubbed, context).toContain('***');
          expect(scrubbed.indexOf('***'), context).toBeLessThanOrEqual(4 * Math.ceil(before.length / 3));
          expect(scrubbed.length - scrubbed.lastIndexOf('***') - 3, context).toBeLessThanOrEqual(4 * (Math.ceil(after.length / 3) + 1));
        }
      }
    }
  });

  it('cuts an Authorization value after any run of white space, and URL userinfo at the very start', () => {
    expect(SHAPE_SCRUBBER.scrub('Authorization: Bearer \t eyJhbGciOi.J9')).toBe('Authorization: Bearer \t ***');
    expect(SHAPE_SCRUBBER.scrub('https://admin:s3cret@gw.internal/ refused the request')).toBe('https://***@gw.internal/ refused the request');
  });
});
