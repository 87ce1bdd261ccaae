/**
 * The one scrubber for text that may carry a secret on its way to an error message, a log line
 * or a stored error: what a gateway or a cloud provider answered, what a lower layer said about
 * a request. Every adapter builds its messages through it.
 *
 * Two kinds of cuts:
 * - **known secrets** (a password, a client secret, an access token, a provider API key), as
 *   they are and as they travel: URL- and form-encoded, JSON-escaped, and inside base64 at any
 *   offset, so `Basic base64(client:secret)` echoed back gives the secret away in no form;
 * - **shapes that are secret whatever they hold**: the credentials of an `Authorization` value
 *   (`Basic …`, `Bearer …`) and the userinfo of a URL (`https://user:pass@host`).
 *
 * @example
 * const scrubber = new SecretScrubber([password, token]);
 * scrubber.scrub(`rejected Basic ${Buffer.from(`admin:${password}`).toString('base64')}`); // 'rejected Basic ***'
 */

/** Below this a value is not searched for: cutting every "gw" or "1" would garble messages without protecting anything. */
const MIN_SECRET_LENGTH = 4;
/** Shorter base64 fragments match ordinary text too often to be worth cutting. */
const MIN_BASE64_FRAGMENT = 8;
const CUT = '***';

/** As the scheme is written in a header (capitalised): agentgw's own prose says "a bearer access_token". */
const AUTHORIZATION_VALUE = /\b(Basic|Bearer)(\s+)[A-Za-z0-9+/=._~-]{8,}/g;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]+@/gi;

export class SecretScrubber {
  readonly #secrets: string[];
  readonly #needles: string[];

  constructor(secrets: Iterable<string | null | undefined> = []) {
    this.#secrets = [...secrets].filter((secret): secret is string => typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH);
    // Every form of a secret is at least as long as the secret itself.
    const needles = new Set(this.#secrets.flatMap(encodedForms));
    // Longest first: a secret's base64 may contain a shorter secret's.
    this.#needles = [...needles].sort((a, b) => b.length - a.length);
  }

  /** A scrubber that also cuts `secrets`. */
  with(secrets: Iterable<string | null | undefined>): SecretScrubber {
    return new SecretScrubber([...this.#secrets, ...secrets]);
  }

  scrub(text: string): string {
    let result = text;
    for (const needle of this.#needles) result = result.split(needle).join(CUT);
    return result.replace(AUTHORIZATION_VALUE, `$1$2${CUT}`).replace(URL_USERINFO, `$1${CUT}@`);
  }
}

/** Scrubs with the shapes only: for text whose own secrets are not known here. */
export const SHAPE_SCRUBBER = new SecretScrubber();

/** The forms a secret takes in transit. */
function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const forms = [
    secret,
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    JSON.stringify(secret).slice(1, -1),
    // Whole, padding included: a Basic header echoed as it was sent goes entirely.
    bytes.toString('base64'),
    bytes.toString('base64url'),
  ];
  // base64 encodes 3 bytes as 4 characters, so within a longer encoding (user:secret) the secret
  // starts at one of 3 offsets; each offset's characters that depend on the secret's bytes alone
  // appear whatever surrounds it.
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const firstGroup = offset === 0 ? 0 : 1;
    const lastGroup = Math.floor((offset + bytes.length) / 3);
    const fragment = encoded.slice(firstGroup * 4, lastGroup * 4);
    if (fragment.length < MIN_BASE64_FRAGMENT) continue;
    forms.push(fragment, fragment.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}
