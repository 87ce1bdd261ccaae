/**
 * `${NAME}` and `${NAME:-fallback}` in strings, from the environment: config files use it, and
 * `agentgw apply` uses it on manifests, so an API key can stay out of a YAML file in git.
 * An unset (or empty) variable without a fallback is an error naming it and where it was.
 *
 * @example
 * interpolateEnv({ value: '${OPENAI_API_KEY}' }, process.env, (name, path) => new UsageError(`${path.join('.')}: ${name} is not set`));
 */
const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export type Path = Array<string | number>;

/** Every string of `value` (recursively) with its variables replaced. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, unset: (name: string, path: Path) => Error, path: Path = []): unknown {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw unset(name, path);
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, unset, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, unset, [...path, key])]));
  }
  return value;
}
