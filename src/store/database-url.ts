/** Database URLs as they may be shown: without their password. */
/** host:port/database of a URL, for messages. */
export function hostOf(displayUrl: string): string {
  try {
    const url = new URL(displayUrl);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return displayUrl;
  }
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@');
  }
}
