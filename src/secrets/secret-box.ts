/**
 * Encrypts secrets at rest (gateway credentials, cloud client secrets, provider API keys in
 * manifests) with AES-256-GCM, and gives keyed digests of them for comparisons. The
 * envelope is `v1.<iv>.<tag>.<ciphertext>` in base64url, so a stored value says which scheme
 * made it and a wrong key fails loudly instead of returning garbage.
 *
 * @example
 * const box = new SecretBox(key);
 * const stored = box.seal({ password: 'p' });
 * box.open(stored); // { password: 'p' }
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigError } from '../domain/errors.js';

const VERSION = 'v1';
/** GCM checks only as many tag bytes as it is given: a tag cut to 4 bytes would still open. */
const TAG_BYTES = 16;
/** What the digest key is derived for: never the encryption key itself, so one cannot stand in for the other. */
const DIGEST_INFO = 'agentgw secret digest v1';

export class SecretBox {
  readonly #key: Buffer;
  #digestKey: Buffer | undefined;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new ConfigError('secrets.key must be 32 bytes, base64-encoded (openssl rand -base64 32)');
    this.#key = key;
  }

  static fromBase64(text: string): SecretBox {
    return new SecretBox(Buffer.from(text.trim(), 'base64'));
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /**
   * A keyed hash (HMAC-SHA256, hex) of `text`: equal texts give equal digests under one key, and
   * without the key a digest says nothing about the text, however short it is.
   */
  digest(text: string): string {
    this.#digestKey ??= Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), DIGEST_INFO, 32));
    return createHmac('sha256', this.#digestKey).update(text).digest('hex');
  }

  open<T = unknown>(envelope: string): T {
    const [version, iv, tag, ciphertext] = envelope.split('.');
    if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined) {
      throw new ConfigError('a stored secret is not in a format this agentgw knows');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      throw new ConfigError('cannot decrypt a stored secret: secrets.key is not the key it was stored with', {
        hint: 'set secrets.key / AGENTGW_SECRET_KEY to the key used when the gateway was registered',
      });
    }
  }
}
