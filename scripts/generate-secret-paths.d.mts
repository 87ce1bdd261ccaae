/** Types of generate-secret-paths.mjs, for the test that checks the generated module against the spec. */
export function secretPathsByKind(specText: string): Map<string, string[]>;
export function renderModule(specText: string): string;
