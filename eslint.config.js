import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The floor plan (docs/architecture.md, "Floor plan"): which folder of src/ may import which. A
 * relative import that climbs out of a folder into one it may not use fails the lint.
 */
const into = (folders, message) => ({ regex: `^(\\.\\./)+(${folders.join('|')})(/|\\.js$)`, message });
const ADAPTER_IMPLEMENTATIONS = { regex: '^(\\.\\./)+adapters/(on-premise|cloud|http)/', message: 'depend on GatewayAdapter (src/adapters/adapter.ts) only' };
const floor = (folder, patterns) => ({ files: [`src/${folder}/**`], rules: { 'no-restricted-imports': ['error', { patterns }] } });
const FLOOR_PLAN = [
  // The vocabulary every layer speaks: it depends on nothing of theirs.
  floor('domain', [{ regex: '^\\.\\./', message: 'domain imports nothing but domain' }]),
  // Persistence only: no business rules, no transport, no gateway calls.
  floor('store', [into(['services', 'daemon', 'commands', 'tui', 'client', 'adapters', 'runtime', 'output', 'config', 'secrets', 'cli'], 'the store is below the services: it imports domain and itself only')]),
  // The seed's layering: business logic depends on the adapter interface, never on an implementation or on the outbound HTTP client, and knows no caller.
  floor('services', [ADAPTER_IMPLEMENTATIONS, into(['daemon', 'commands', 'tui', 'client', 'output', 'runtime', 'cli'], 'services know no caller: the daemon, the CLI and the dashboard call them')]),
  floor('adapters', [into(['store'], 'adapters never touch the store'), into(['services', 'daemon', 'commands', 'tui', 'client', 'runtime', 'cli'], 'adapters are called by the services, never the other way round')]),
  floor('client', [ADAPTER_IMPLEMENTATIONS, into(['commands', 'tui', 'daemon', 'store', 'cli'], 'a client reaches the services (local) or the daemon over HTTP (remote), nothing else')]),
  floor('daemon', [ADAPTER_IMPLEMENTATIONS, into(['commands', 'tui', 'client', 'cli'], 'the daemon serves the services; it does not run commands')]),
  floor('commands', [ADAPTER_IMPLEMENTATIONS]),
  // The webhook sender works beside the monitor: the store's deliveries out through adapters/http (so the egress policy applies), called by no one but the daemon.
  floor('webhooks', [into(['services', 'daemon', 'commands', 'tui', 'client', 'cli'], 'the webhook sender is started by the daemon and knows no caller')]),
];

export default tseslint.config(
  { ignores: ['dist/**', 'reports/**', '.stryker-tmp/**', '.test-build/**', '.agentgw-data/**', '**/node_modules/**', 'bench/results/**', 'coverage/**'] },
  { languageOptions: { globals: { ...globals.node } } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  ...FLOOR_PLAN,
  {
    // bin/ is CommonJS (bin/package.json): an ES module entry point costs every run Node's ES loader.
    files: ['bin/**'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // No file under src/ over ~450 lines of code: past that a module has grown a second job.
    files: ['src/**'],
    rules: { 'max-lines': ['error', { max: 450, skipBlankLines: true, skipComments: true }] },
  },

);
