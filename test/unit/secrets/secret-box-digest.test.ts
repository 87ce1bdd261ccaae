/** The keyed digest of the secret box: what revision digests use in place of secret values. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../../src/secrets/secret-box.js';

describe('SecretBox.digest', () => {
  const box = new SecretBox(Buffer.alloc(32, 1));

  it('gives equal texts equal digests under one key, and other texts or keys other digests', () => {
    expect(box.digest('sk-123')).toBe(box.digest('sk-123'));
    expect(box.digest('sk-123')).toMatch(/^[0-9a-f]{64}$/);
    expect(box.digest('sk-124')).not.toBe(box.digest('sk-123'));
    expect(new SecretBox(Buffer.alloc(32, 2)).digest('sk-123')).not.toBe(box.digest('sk-123'));
  });

  it('is not a plain hash of the text, nor an HMAC under the encryption key itself', async () => {
    const { createHmac } = await import('node:crypto');
    expect(box.digest('sk-123')).not.toBe(createHash('sha256').update('sk-123').digest('hex'));
    expect(box.digest('sk-123')).not.toBe(createHmac('sha256', Buffer.alloc(32, 1)).update('sk-123').digest('hex'));
  });

  it('is pinned: a fixed key and text give a known digest (digests are stored, so they must not change)', () => {
    // HMAC-SHA256 under HKDF-SHA256(key, salt none, info "agentgw secret digest v1"), computed
    // independently (Python's hmac/hashlib, RFC 5869 by hand).
    expect(new SecretBox(Buffer.alloc(32, 0)).digest('')).toBe('4326aa7030d08459acb34e9a0f90db35d362cad3c180f63a84ffd0d2714845ce');
  });
});
