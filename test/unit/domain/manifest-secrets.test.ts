/**
 * The secret fields of manifests: taken out of a spec as `{set: true}`, kept when an update
 * leaves them out (as the controller does), put back only for the gateway, dropped from what a
 * gateway returns, and never compared or stored in the clear.
 */
import { describe, expect, it } from 'vitest';
import {
  keepStoredSecrets,
  maskSecrets,
  secretFieldErrors,
  secretReferences,
  splitSecrets,
  withoutSecretFields,
  withSecretValues,
} from '../../../src/domain/manifest-secrets.js';
import { manifestErrors, manifestDigest, specMatches } from '../../../src/domain/manifests.js';
import { openSecretFields, sealManifest } from '../../../src/domain/sealed-manifest.js';
import { SecretBox } from '../../../src/secrets/secret-box.js';

const KEY = 'sk-unit-0123456789abcdef';
const box = new SecretBox(Buffer.alloc(32, 3));
const provider = (auth: Record<string, unknown> | undefined = { type: 'api-key', header: 'Authorization', value: KEY }) => ({
  displayName: 'OpenAI',
  version: 'v1.0',
  template: 'openai',
  upstream: { url: 'https://api.openai.com/v1', ...(auth === undefined ? {} : { auth }) },
  accessControl: { mode: 'allow_all' },
});
const manifest = (spec: Record<string, unknown>, kind: 'LlmProvider' | 'LlmProxy' | 'Secret' = 'LlmProvider') => ({
  apiVersion: 'gateway.api-platform.wso2.com/v1',
  kind,
  metadata: { name: 'openai' },
  spec,
});

describe('splitting secret values out of a spec', () => {
  it('leaves {set: true} where a value was and returns the value apart', () => {
    const split = splitSecrets('LlmProvider', provider());
    expect(split.spec).toEqual(provider({ type: 'api-key', header: 'Authorization', value: { set: true } }));
    expect(split.fields).toEqual([{ path: ['spec', 'upstream', 'auth', 'value'], value: KEY }]);
    expect(JSON.stringify(split.spec)).not.toContain(KEY);
  });

  it('finds them in lists too (every additional provider of a proxy)', () => {
    const spec = {
      displayName: 'P',
      version: 'v1',
      provider: { id: 'a', auth: { type: 'api-key', value: 'key-of-a-provider' } },
      additionalProviders: [{ id: 'b' }, { id: 'c', auth: { type: 'api-key', value: 'key-of-c-provider' } }],
    };
    expect(splitSecrets('LlmProxy', spec).fields).toEqual([
      { path: ['spec', 'additionalProviders', 1, 'auth', 'value'], value: 'key-of-c-provider' },
      { path: ['spec', 'provider', 'auth', 'value'], value: 'key-of-a-provider' },
    ]);
  });

  it('keeps the stored value for a field sent as {set: true} or left out, and drops it for type: none', () => {
    const stored = splitSecrets('LlmProvider', provider()).fields;
    for (const auth of [{ type: 'api-key', header: 'Authorization', value: { set: true } }, { type: 'api-key', header: 'Authorization' }]) {
      const split = splitSecrets('LlmProvider', provider(auth));
      const kept = keepStoredSecrets(split.spec, split.kept, stored);
      expect(kept.fields).toEqual(stored);
      expect(kept.missing).toEqual([]);
      expect((kept.spec.upstream as { auth: unknown }).auth).toEqual({ type: 'api-key', header: 'Authorization', value: { set: true } });
    }
    const none = splitSecrets('LlmProvider', provider({ type: 'none' }));
    expect(keepStoredSecrets(none.spec, none.kept, stored).fields).toEqual([]);
    // A marker with nothing stored behind it is named, not silently dropped.
    const marker = splitSecrets('LlmProvider', provider({ type: 'api-key', value: { set: true } }));
    expect(keepStoredSecrets(marker.spec, marker.kept, []).missing).toEqual(['spec.upstream.auth.value']);
  });

  it('leaves a secret reference as written: it names a Secret, it is not one', () => {
    const reference = '{{ secret "openai-key" }}';
    const split = splitSecrets('LlmProvider', provider({ type: 'api-key', value: reference }));
    expect(split.fields).toEqual([]);
    expect((split.spec.upstream as { auth: { value: unknown } }).auth.value).toBe(reference);
    expect(secretReferences(provider({ type: 'api-key', value: `Bearer ${reference}` }), ['spec'])).toEqual([
      { name: 'openai-key', path: 'spec.upstream.auth.value' },
    ]);
    expect(secretReferences({ a: ['{{secret "x"}}', '{{  secret \\"y\\" }}'] })).toEqual([
      { name: 'x', path: 'a[0]' },
      { name: 'y', path: 'a[1]' },
    ]);
  });

  it('puts the values back only when asked, for the gateway', () => {
    const { spec, fields } = splitSecrets('LlmProvider', provider());
    expect(withSecretValues(spec, fields)).toEqual(provider());
    expect(JSON.stringify(spec)).not.toContain(KEY);
  });

  it('masks every stored form and drops the fields from what a gateway returns', () => {
    expect(maskSecrets('LlmProvider', provider())).toEqual(provider({ type: 'api-key', header: 'Authorization', value: { set: true } }));
    expect(withoutSecretFields('LlmProvider', provider())).toEqual(provider({ type: 'api-key', header: 'Authorization' }));
    const plain = { displayName: 'T' };
    expect(withoutSecretFields('LlmProviderTemplate', plain)).toBe(plain);
    expect(withoutSecretFields('Secret', { displayName: 'K', value: KEY })).toEqual({ displayName: 'K' });
  });

  it('refuses a secret field that is not a string (or {set: true})', () => {
    expect(secretFieldErrors('LlmProvider', provider({ type: 'api-key', value: 42 }))).toEqual([
      { path: 'spec.upstream.auth.value', message: 'is a secret: a string, or {set: true} to keep the stored value' },
    ]);
    expect(secretFieldErrors('LlmProvider', provider({ type: 'api-key', value: { set: true } }))).toEqual([]);
    expect(manifestErrors(manifest(provider({ type: 'api-key', value: ['x'] }))).map((e) => e.path)).toEqual(['spec.upstream.auth.value']);
  });

  it('checks a Secret as the spec does: displayName, a description of at most 1024 characters, nothing else', () => {
    expect(manifestErrors(manifest({ displayName: 'OpenAI key', value: KEY }, 'Secret'))).toEqual([]);
    expect(manifestErrors(manifest({ displayName: 'OpenAI key', description: 'x'.repeat(1025), value: KEY, other: 1 }, 'Secret')).map((e) => e.path)).toEqual([
      'spec.description',
      'spec.other',
    ]);
    expect(manifestErrors(manifest({ value: '' }, 'Secret')).map((e) => e.path)).toEqual(['spec.displayName', 'spec.value']);
  });
});

describe('sealed manifests', () => {
  it('seal the values, and a digest that changes with them but does not hash them in the clear', () => {
    const sealed = sealManifest(manifest(provider()), [], () => box);
    expect(JSON.stringify(sealed.manifest)).not.toContain(KEY);
    expect(sealed.secrets).not.toContain(KEY);
    expect(openSecretFields(sealed.secrets, () => box)).toEqual([{ path: ['spec', 'upstream', 'auth', 'value'], value: KEY }]);
    const other = sealManifest(manifest(provider({ type: 'api-key', header: 'Authorization', value: `${KEY}-2` })), [], () => box);
    expect(other.digest).not.toBe(sealed.digest);
    expect(other.manifest).toEqual(sealed.manifest);
    // Another key gives another digest of the same value: it is keyed.
    expect(sealManifest(manifest(provider()), [], () => new SecretBox(Buffer.alloc(32, 4))).digest).not.toBe(sealed.digest);
  });

  it('keep the digest of a manifest without secrets as it always was, without asking for a key', () => {
    const template = { apiVersion: 'gateway.api-platform.wso2.com/v1', kind: 'LlmProviderTemplate' as const, metadata: { name: 't' }, spec: { displayName: 'T' } };
    const sealed = sealManifest(template, [], () => {
      throw new Error('no key needed');
    });
    expect(sealed).toMatchObject({ secrets: null, digest: manifestDigest(template) });
  });

  it('are unchanged when applied again as read back ({set: true}) or with the value left out', () => {
    const first = sealManifest(manifest(provider()), [], () => box);
    const stored = openSecretFields(first.secrets, () => box);
    for (const auth of [{ type: 'api-key', header: 'Authorization', value: { set: true } }, { type: 'api-key', header: 'Authorization' }]) {
      expect(sealManifest(manifest(provider(auth)), stored, () => box).digest).toBe(first.digest);
    }
  });

  it('compare with what a gateway holds without the values', () => {
    const { spec } = sealManifest(manifest(provider()), [], () => box).manifest;
    expect(specMatches('LlmProvider', spec, provider({ type: 'api-key', header: 'Authorization' }), true)).toBe(true);
    expect(specMatches('LlmProvider', provider(), provider({ type: 'api-key', header: 'Authorization', value: 'other' }), true)).toBe(true);
    expect(specMatches('LlmProvider', spec, provider({ type: 'api-key', header: 'X-Other' }), true)).toBe(false);
  });
});
