/**
 * The secret box that encrypts stored credentials: a golden vector pins the envelope format (a
 * change to it would make every stored secret unreadable), and every way an envelope can be
 * wrong fails with a ConfigError rather than returning garbage.
 *
 * Equivalent mutants left by `npm run test:mutation`:
 * - seal: `cipher.update(json, 'utf8')` → `cipher.update(json, '')`. Node reads a string with an
 *   empty encoding name as UTF-8, its default, so the ciphertext is byte for byte the same.
 * - open: `iv === undefined` → `false`, and `tag === undefined` → `false`. split('.') leaves no
 *   gaps, so an envelope without an iv or a tag has no ciphertext either, and the
 *   `ciphertext === undefined` test refuses it all the same; the two tests are there for
 *   TypeScript, which cannot know that.
 */
import { createCipheriv } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { ConfigError } from '../../../src/domain/errors.js';
import { SecretBox } from '../../../src/secrets/secret-box.js';

/** Bytes 0…31: a key anyone can rebuild, so the vector below can be checked by hand. */
const GOLDEN_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const GOLDEN_KEY_BASE64 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
/** Sealed once with the IV 000102…0b (node:crypto directly, not SecretBox); it must open forever. */
const GOLDEN_ENVELOPE = 'v1.AAECAwQFBgcICQoL.pj2FfUCqKLeSRz04FIJGIw.PCCjaKCXrHrgJLWxk4gcAOq4pRjSCz4PSxCK93lLOpByI82OyrU_W8hG436q-g';
const GOLDEN_VALUE = { username: 'admin', password: 's3cret-ü✓' };

const FORMAT_ERROR = 'a stored secret is not in a format this agentgw knows';
const KEY_ERROR = 'cannot decrypt a stored secret: secrets.key is not the key it was stored with';

function caught(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

/** The envelope with one bit of one of its parts flipped (1 iv, 2 tag, 3 ciphertext). */
function flipBit(envelope: string, part: 1 | 2 | 3): string {
  const parts = envelope.split('.');
  const bytes = Buffer.from(parts[part] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('SecretBox', () => {
  const box = new SecretBox(GOLDEN_KEY);

  it('opens the golden vector to its known value', () => {
    expect(box.open(GOLDEN_ENVELOPE)).toEqual(GOLDEN_VALUE);
    expect(SecretBox.fromBase64(GOLDEN_KEY_BASE64).open(GOLDEN_ENVELOPE)).toEqual(GOLDEN_VALUE);
  });

  it('seals as v1.<iv>.<tag>.<ciphertext>, AES-256-GCM with a 12-byte IV and a 16-byte tag, that node:crypto can open', () => {
    const envelope = box.seal(GOLDEN_VALUE);
    const [version, iv, tag, ciphertext, ...rest] = envelope.split('.');
    expect(version).toBe('v1');
    expect(rest).toEqual([]);
    for (const part of [iv, tag, ciphertext]) expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(iv ?? '', 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag ?? '', 'base64url')).toHaveLength(16);

    // The same IV as the golden vector gives the golden ciphertext: seal encrypts the JSON, as UTF-8.
    const cipher = createCipheriv('aes-256-gcm', GOLDEN_KEY, Buffer.from(iv ?? '', 'base64url'));
    const expected = Buffer.concat([cipher.update(Buffer.from(JSON.stringify(GOLDEN_VALUE))), cipher.final()]);
    expect(ciphertext).toBe(expected.toString('base64url'));
    expect(tag).toBe(cipher.getAuthTag().toString('base64url'));
  });

  it('round-trips any JSON value, with a fresh IV every time', () => {
    for (const value of [GOLDEN_VALUE, 'plain', 0, null, [1, 'two'], { nested: { key: 'ключ' } }]) {
      expect(box.open(box.seal(value))).toEqual(value);
    }
    const first = box.seal('same');
    const second = box.seal('same');
    expect(first.split('.')[1]).not.toBe(second.split('.')[1]);
    expect(first).not.toBe(second);
  });

  it('refuses to open with another key, naming the setting', () => {
    const error = caught(() => new SecretBox(Buffer.alloc(32, 7)).open(GOLDEN_ENVELOPE));
    expect(error.message).toBe(KEY_ERROR);
    expect(error.hint).toBe('set secrets.key / AGENTGW_SECRET_KEY to the key used when the gateway was registered');
  });

  it.each([
    ['iv', 1],
    ['tag', 2],
    ['ciphertext', 3],
  ] as const)('refuses an envelope whose %s was tampered with', (_name, part) => {
    expect(caught(() => box.open(flipBit(GOLDEN_ENVELOPE, part))).message).toBe(KEY_ERROR);
  });

  it('refuses an envelope whose tag was cut short (GCM would check only what is left of it)', () => {
    const [version, iv, tag, ciphertext] = GOLDEN_ENVELOPE.split('.');
    const shortTag = Buffer.from(tag ?? '', 'base64url').subarray(0, 4).toString('base64url');
    expect(caught(() => box.open([version, iv, shortTag, ciphertext].join('.'))).message).toBe(KEY_ERROR);
  });

  it.each([
    ['', 'empty'],
    ['v1', 'the version alone'],
    ['v1.AAECAwQFBgcICQoL', 'no tag'],
    ['v1.AAECAwQFBgcICQoL.pj2FfUCqKLeSRz04FIJGIw', 'no ciphertext'],
    [GOLDEN_ENVELOPE.replace(/^v1\./, 'v2.'), 'another version'],
    [GOLDEN_ENVELOPE.replace(/^v1\./, ''), 'no version'],
    [JSON.stringify(GOLDEN_VALUE), 'plain JSON, as stored before encryption'],
  ])('refuses a malformed envelope (%s: %s) as a format it does not know', (envelope) => {
    expect(caught(() => box.open(envelope)).message).toBe(FORMAT_ERROR);
  });

  it('refuses an envelope whose parts are not what they claim as undecryptable', () => {
    expect(caught(() => box.open('v1.not-an-iv.pj2FfUCqKLeSRz04FIJGIw.PCCj')).message).toBe(KEY_ERROR);
    // Decrypts, but to something that is not JSON.
    const cipher = createCipheriv('aes-256-gcm', GOLDEN_KEY, Buffer.alloc(12));
    const ciphertext = Buffer.concat([cipher.update(Buffer.from('not json')), cipher.final()]);
    const envelope = ['v1', Buffer.alloc(12).toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
    expect(caught(() => box.open(envelope)).message).toBe(KEY_ERROR);
  });

  it.each([16, 24, 31, 33, 0])('refuses a %i-byte key: AES-256 needs 32', (length) => {
    expect(caught(() => new SecretBox(Buffer.alloc(length, 1))).message).toBe(
      'secrets.key must be 32 bytes, base64-encoded (openssl rand -base64 32)',
    );
  });

  it('refuses a 16-byte key given in base64, as `openssl rand -base64 16` prints it', () => {
    expect(caught(() => SecretBox.fromBase64(Buffer.alloc(16, 1).toString('base64'))).message).toMatch(/^secrets\.key must be 32 bytes/);
  });

  it('reads a base64 key with the newline a key file ends with, or any white space around it', () => {
    expect(SecretBox.fromBase64(`${GOLDEN_KEY_BASE64}\n`).open(GOLDEN_ENVELOPE)).toEqual(GOLDEN_VALUE);
    expect(SecretBox.fromBase64(`  ${GOLDEN_KEY_BASE64}\r\n`).open(GOLDEN_ENVELOPE)).toEqual(GOLDEN_VALUE);
    // Node's base64 decoder skips most white space itself, but reads U+202F (narrow no-break space,
    // which editors paste) by its low byte, 0x2F, as '/': only trimming the key keeps it out.
    expect(SecretBox.fromBase64(`\u202f${GOLDEN_KEY_BASE64}`).open(GOLDEN_ENVELOPE)).toEqual(GOLDEN_VALUE);
  });
});
