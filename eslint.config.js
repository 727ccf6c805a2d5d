// ESLint for the whole tree, run by `npm run lint` (scripts/lint.sh) and by CI.
// The TypeScript rules are type-aware: each file is checked against its workspace's tsconfig.json,
// and imports of another workspace resolve to that workspace's built declarations, so build first.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const javaScript = ['**/*.js', '**/*.mjs', '**/*.cjs'];
const typeScript = ['**/*.ts'];

export default defineConfig(
  {
    // Build outputs (cmake's build/ holds files named *.ts that are not TypeScript) and the files
    // the tools write.
    ignores: ['**/node_modules/**', '**/dist/**', '**/build/**', '**/.turbo/**', 'dashboards/generated/**', 'runs/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX },
    settings: {
      // Without these the cycle check skips every .ts file it reaches (its default is .js only).
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ alwaysTryTypes: true, noWarnOnMultipleProjects: true })],
    },
    rules: {
      // The tree's size budget (issue #16), counted as `wc -l` counts, comments and blank lines
      // included, so that the check and the acceptance criterion it enforces agree.
      'max-lines': ['error', { max: 600, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 150, skipBlankLines: false, skipComments: false, IIFEs: true }],
      // Runtime import cycles within a workspace (`import type` is erased, so it is not followed);
      // a cycle between workspaces would be a dependency cycle, which npm refuses first.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: typeScript,
    rules: {
      // node:test's describe/it/test return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
    },
  },
  {
    // bin/ and scripts/ are plain JavaScript outside every tsconfig: untyped, every value would be
    // `any` to the type-aware rules, so they get the syntax-only ones.
    files: javaScript,
    ...tseslint.configs.disableTypeChecked,
  },
);
