/**
 * The one http(s) URL check: every caller (gateway URLs, manifest upstreams, config endpoints,
 * cloud answers) gets the same reasons, and chooses only how strict it is.
 */
import { describe, expect, it } from 'vitest';
import { httpUrlProblem, isHttpUrl } from '../../../src/domain/http-url.js';

describe('httpUrlProblem', () => {
  it.each(['http://gw:9090', 'https://gw.example.com/api', 'http://10.0.0.1/', 'http://[::1]:8080'])('accepts %s', (url) => {
    expect(httpUrlProblem(url, { noCredentials: true, noQuery: true, maxLength: 2048 })).toBeNull();
    expect(isHttpUrl(url)).toBe(true);
  });

  it('says which rule a URL breaks, the stricter rules only when asked', () => {
    expect(httpUrlProblem('ftp://gw/')).toBe('scheme "ftp" is not allowed; use http or https');
    expect(httpUrlProblem('http://u:p@gw/')).toBeNull();
    expect(httpUrlProblem('http://u:p@gw/', { noCredentials: true })).toBe('must not contain credentials; pass them as username/password instead');
    expect(httpUrlProblem('http://gw/?a=1')).toBeNull();
    expect(httpUrlProblem('http://gw/?a=1', { noQuery: true })).toBe('must not have a query or fragment');
    expect(httpUrlProblem('http://gw/abc', { maxLength: 10 })).toBe('must be at most 10 characters');
  });

  it('quotes an unparseable URL without its password', () => {
    expect(httpUrlProblem('http://admin:s3cret@[bad')).toBe('"http://admin:***@[bad" is not a valid URL (expected e.g. http://gateway.internal:9090)');
  });

  it.each([42, null, undefined, '', 'gw:9090', 'mailto:a@b'])('isHttpUrl refuses %j', (value) => {
    expect(isHttpUrl(value)).toBe(false);
  });
});
