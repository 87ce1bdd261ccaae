import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

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
  {
    files: ['src/services/**', 'src/commands/**', 'src/client/**', 'src/daemon/**'],
    rules: {
      // The seed's layering: business logic depends on the adapter interface, never on an implementation or on the outbound HTTP client.
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/adapters/on-premise/**', '**/adapters/cloud/**', '**/adapters/http/**'], message: 'depend on GatewayAdapter (src/adapters/adapter.ts) only' },
      ] }],
    },
  },
  {
    // bin/ is CommonJS (bin/package.json): an ES module entry point costs every run Node's ES loader.
    files: ['bin/**'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/adapters/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/store/**'], message: 'adapters never touch the store' }] }],
    },
  },
);
