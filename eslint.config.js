import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Import patterns each layer may not use (gitignore-style, matched against the import specifier). */
const LAYERS = {
  src: { group: ['**/operator/**', '**/action/**', '!**/src/**'], message: 'src/ is the core: it imports neither operator/ nor action/ (DESIGN.md).' },
  analysis: { group: ['**/policy/**'], message: 'src/analysis decides without a policy: gate in src/report or the operator.' },
  action: { group: ['**/operator/**', '!**/src/**'], message: 'action/ and operator/ never import each other (DESIGN.md).' },
  operator: { group: ['**/action/**', '!**/src/**'], message: 'action/ and operator/ never import each other (DESIGN.md).' },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'action/dist/', 'coverage/', '.cluster/', '.cluster-test/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The layering of DESIGN.md: src/ is the core both adapters import; it imports neither of them, and
  // src/analysis decides without a policy (gating composes the two in src/report and the operator).
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [LAYERS.src] }],
      '@typescript-eslint/no-restricted-imports': 'off',
    },
  },
  {
    files: ['src/analysis/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [LAYERS.src, LAYERS.analysis] }] },
  },
  // The one exception: the merge rules check a model's answer against the gate itself, so that no model
  // verdict can come out of an analyzer more permissive than the rules floor (docs/adr/0004-model-verdict-merge.md).
  {
    files: ['src/analysis/verdict-merge.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [LAYERS.src] }] },
  },
  // The action and the operator are siblings: neither imports the other.
  { files: ['action/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [LAYERS.action] }] } },
  { files: ['operator/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [LAYERS.operator] }] } },
);
