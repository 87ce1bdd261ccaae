/**
 * The form of a URL that may appear in errors and logs: no userinfo (it carries passwords), no
 * query string or fragment (API keys travel there). Scheme, host, port and path are kept so a
 * message still says which gateway and which endpoint failed.
 *
 * @example
 * redactUrl('http://admin:s3cret@10.0.0.5:9090/health?token=abc'); // 'http://10.0.0.5:9090/health'
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    // Unparseable, so cut by hand and generously: everything from `//` to the last `@` may be
    // userinfo (a password can hold `/` or `@`), and everything after `?` or `#` goes.
    return url.replace(/\/\/.*@/s, '//').replace(/[?#].*$/s, '');
  }
}
