/**
 * The secret fields of manifests come from the gateway-controller's spec, not from a list kept by
 * hand: the generated module is what the spec gives today, and a field the spec newly marks
 * writeOnly (or `format: password`) becomes a secret by regenerating.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { renderModule, secretPathsByKind } from '../../../scripts/generate-secret-paths.mjs';
import { RESOURCE_KINDS } from '../../../src/adapters/adapter.js';
import { SECRET_PATHS } from '../../../src/domain/secret-paths.generated.js';
import { SPECS_DIR } from '../adapters/support.js';

const SPEC = readFileSync(join(SPECS_DIR, 'management-openapi.yaml'), 'utf8');

describe('secret paths generated from management-openapi.yaml', () => {
  it('are what regenerating from the spec gives (npm run generate:secret-paths)', () => {
    expect(readFileSync('src/domain/secret-paths.generated.ts', 'utf8')).toBe(renderModule(SPEC));
    // The script's own check, as CI would run it.
    expect(() => execFileSync(process.execPath, ['scripts/generate-secret-paths.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it("name the upstream credentials (writeOnly) and a Secret's value (format: password) of every kind agentgw manages", () => {
    expect(Object.keys(SECRET_PATHS).sort()).toEqual([...RESOURCE_KINDS].sort());
    expect(SECRET_PATHS.LlmProvider).toEqual(['spec.upstream.auth.value']);
    expect(SECRET_PATHS.Mcp).toEqual(['spec.upstream.auth.value']);
    expect(SECRET_PATHS.LlmProxy).toEqual(['spec.additionalProviders.*.auth.value', 'spec.provider.auth.value']);
    expect(SECRET_PATHS.Secret).toEqual(['spec.value']);
    expect(SECRET_PATHS.RestApi).toEqual([]);
  });

  it('follow the spec: a field it newly marks writeOnly is a secret after regenerating', () => {
    const spec = parse(SPEC);
    spec.components.schemas.LLMProviderTemplateData.properties.managedBy.writeOnly = true;
    const paths = secretPathsByKind(stringify(spec));
    expect(paths.get('LlmProviderTemplate')).toEqual(['spec.managedBy']);
    expect(renderModule(stringify(spec))).not.toBe(renderModule(SPEC));
  });
});
