// Flat config. The layer rules below are the project's architecture, enforced:
// shared/ is pure, renderer/ is browser-only, electron/engine/ is node-only, and
// only electron/main/ and electron/preload/ may touch electron.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const electronNames = ['electron', 'electron/*', '@electron/*', 'electron-store', '@github/keytar'];

const restrict = (names, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: [...new Set(names)], message }] }],
});

/** Layer rules, exported so test/foundation/layers.test.ts can prove each one fires. */
export const layerRules = {
  shared: restrict(
    [...nodeBuiltins, ...electronNames, 'electron/*'],
    'shared/ is used by main and renderer: it may import neither node nor electron.',
  ),
  renderer: restrict(
    [...nodeBuiltins, ...electronNames, '**/electron/**', '../electron/*'],
    'renderer/ runs in a sandboxed page: no node, no electron; talk to main through the IPC contract in shared/.',
  ),
  engine: restrict(
    [...electronNames, '**/main/**', '**/preload/**'],
    'electron/engine/ must run in plain Node (tests, headless): never import electron or the main process.',
  ),
};

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      '.venv/**',
      '.tools/**',
      'test-output/**',
      'bench/results.*',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.mjs', '.ci/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['shared/**/*.ts'], rules: layerRules.shared },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: { ...layerRules.renderer, 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  { files: ['electron/engine/**/*.ts'], rules: layerRules.engine },
);
