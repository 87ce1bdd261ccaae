/** Types of generate-manifest-validators.mjs, for the test that checks the generated module against the spec. */
export const CONTROLLER_RULES: ReadonlyArray<readonly [string, string, Record<string, unknown>, string]>;
export const CONTROLLER_PATTERNS: ReadonlyMap<string, readonly [string, string]>;
export function requestSchemas(spec: unknown): Map<string, string>;
export function renderModule(specText: string): string;
