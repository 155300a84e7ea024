import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Relative-import patterns for the layout's directions (ARCHITECTURE.md, "Folders"). */
const importsOf = (...folders) => folders.flatMap((folder) => [`**/${folder}`, `**/${folder}/**`]);
const boundary = (message, ...folders) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: importsOf(...folders), message }] }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'test/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Type-aware: a promise nobody awaits or catches fails silently (an unhandled rejection
    // ends the process), and a promise handed where a void callback is expected is never awaited.
    files: ['{src,workers,bin,ops,test}/**/*.ts'],
    // the dashboard's browser code has its own tsconfig (DOM, ES modules)
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.json', './tsconfig.dashboard.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  // Import directions: src/ is the library both roles stand on; workers/ stands on src/;
  // bin/ (entry points) stands on both and nothing imports it; ops/ and test/ are leaves.
  {
    files: ['src/**/*.ts'],
    rules: boundary(
      'src/ is the library: it never imports workers/, bin/, ops/ or test/.',
      'workers',
      'bin',
      'ops',
      'test',
    ),
  },
  {
    files: ['workers/**/*.ts'],
    rules: boundary('workers/ stands on src/ only: never bin/, ops/ or test/.', 'bin', 'ops', 'test'),
  },
  {
    files: ['bin/**/*.ts', 'ops/**/*.ts', 'test/**/*.ts'],
    rules: boundary('bin/ holds entry points: nothing imports them.', 'bin'),
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { globals: globals.node, sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
