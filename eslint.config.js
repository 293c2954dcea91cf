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

const restrict = (...groups) => ({
  'no-restricted-imports': [
    'error',
    { patterns: groups.map(([names, message]) => ({ group: [...new Set(names)], message })) },
  ],
});

// Test and demo machinery: fault injection, test-only emulators and the virtual clock (testkit/), the simulator
// (sim/), the emulators (reached by product code only through the demo entry point, electron/engine/demo.ts,
// which the host loads on demand) and the tests themselves.
const testMachinery = ['**/testkit/**', './testkit/*', '**/sim/**', './sim/*', '**/test/**'];
const emulators = ['**/emulators/**', './emulators/*'];
const engineNames = [...electronNames, '**/main/**', '**/preload/**'];
const engineMessage =
  'electron/engine/ must run in plain Node (tests, headless): never import electron or the main process.';
const machineryMessage =
  'product code never imports test machinery (testkit/, sim/, test/) or the emulators: the demo reaches the ' +
  'emulators through electron/engine/demo.ts, which the host loads on demand.';

/** Layer rules, exported so test/foundation/layers.test.ts can prove each one fires. */
export const layerRules = {
  shared: restrict([
    [...nodeBuiltins, ...electronNames, 'electron/*'],
    'shared/ is used by main and renderer: it may import neither node nor electron.',
  ]),
  renderer: restrict([
    [...nodeBuiltins, ...electronNames, '**/electron/**', '../electron/*'],
    'renderer/ runs in a sandboxed page: no node, no electron; talk to main through the IPC contract in shared/.',
  ]),
  /** The engine's test and bench machinery (testkit/, sim/): node, never electron. */
  engineMachinery: restrict([engineNames, engineMessage]),
  /** The demo entry point and the emulators it runs: no fault injection, no test-only code. */
  demo: restrict([engineNames, engineMessage], [testMachinery, machineryMessage]),
  /** Product engine code. */
  engine: restrict([engineNames, engineMessage], [[...testMachinery, ...emulators], machineryMessage]),
  /** The desktop shell. */
  main: restrict([[...testMachinery, ...emulators, '**/demo.js', './demo.js'], machineryMessage]),
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
  { files: ['electron/engine/demo.ts', 'electron/engine/emulators/**/*.ts'], rules: layerRules.demo },
  { files: ['electron/engine/testkit/**/*.ts', 'electron/engine/sim/**/*.ts'], rules: layerRules.engineMachinery },
  { files: ['electron/main/**/*.ts', 'electron/preload/**/*.ts'], rules: layerRules.main },
);
