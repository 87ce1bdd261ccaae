/**
 * The one scrubber every adapter's errors and logs go through: a known secret is cut as it is and
 * in the encodings it travels in (base64 at any offset, as inside a Basic header; URL and form
 * encoding; JSON escapes), and Authorization values and URL userinfo are cut whatever they hold.
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
