import js from '@eslint/js';
import { importX } from 'eslint-plugin-import-x';
import { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers (docs/architecture.md, "Layers", ADR 0097): each zone lists what
 * a folder must never import. Paths are resolved, so `../../workers/x` and
 * `./x` are judged by the file they reach, not by how they are written.
 */
const PROJECT = ['domain', 'db', 'durable-objects', 'workers', 'web', 'fakes', 'scripts', 'bench', 'test'];
const except = (...allowed) => PROJECT.filter((folder) => !allowed.includes(folder)).map((folder) => `./${folder}`);
const LAYERS = [
  { target: './domain', from: except('domain'), message: 'domain/ is the runtime-free vocabulary: it imports nothing of the project.' },
  { target: './db', from: except('db', 'domain'), message: 'db/ imports only domain/.' },
  { target: './durable-objects', from: except('durable-objects', 'db', 'domain'), message: 'durable-objects/ import db/ and domain/ only, never workers/ (shard keys live in domain/shard-keys.ts).' },
  { target: './workers', from: except('workers', 'durable-objects', 'db', 'domain'), message: 'workers/ import durable-objects/, db/ and domain/ only.' },
  { target: './web', from: except('web', 'domain'), message: 'web/ imports domain/ only: nothing of the server, scripts/ or test/ reaches a browser bundle.' },
  { target: './fakes', from: except('fakes', 'domain'), message: 'fakes/ (the local provider fakes) import domain/ only.' },
  { target: './scripts', from: except('scripts', 'fakes', 'workers', 'durable-objects', 'db', 'domain'), message: 'scripts/ never import test/, bench/ or web/ (the live clients they share with web/ live in domain/live/).' },
  { target: './bench', from: ['./test', './web'], message: 'bench/ never imports test/ or web/.' },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.wrangler/', '.data/', 'worker-configuration.d.ts', 'db/migrations/', 'bench/results/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js', '.d.ts', '.json'] })] },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
      'import-x/no-restricted-paths': ['error', { zones: LAYERS }],
    },
  },
  {
    // Type-aware rules (ADR 0098): promises that nobody awaits (`void` marks a
    // deliberate fire-and-forget, with a comment saying why), async callbacks
    // where a void one is expected, awaiting what is not a promise, switches
    // that miss a member of a union. Not require-await: async methods without
    // an await implement promise-returning interfaces (Durable Object
    // handlers, test doubles of our ports), where it is noise.
    // Each file is checked in the program of the tsconfig that owns it (one
    // program per file, not three: lint time).
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  { files: ['**/*.ts'], languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } } },
  {
    files: ['scripts/**/*.ts', 'fakes/**/*.ts', 'bench/**/*.ts', 'test/unit/**/*.ts', 'test/e2e/**/*.ts', 'test/chaos/**/*.ts', 'test/observability/**/*.ts', 'test/support/**/*.ts', '*.config.ts'],
    ignores: ['test/support/provided-context.d.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.node.json', tsconfigRootDir: import.meta.dirname } },
  },
  { files: ['web/**/*.ts', 'web/**/*.tsx'], languageOptions: { parserOptions: { project: './tsconfig.web.json', tsconfigRootDir: import.meta.dirname } } },
);
