// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * ESLint for the whole repository, type-aware: apps/, libs/, test/, scripts/ and the JavaScript tooling files.
 * Formatting is Prettier's alone (eslint-config-prettier, last, turns off every rule it would fight with).
 */
export default defineConfig(
  globalIgnores(['dist/', 'coverage/', '.data/', 'libs/crypto/src/fixtures/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The TypeScript files come from tsconfig.json; the few JavaScript tooling files it does not include
        // (jest.config.js, scripts/*.js, .ci/*.js, this file) are typed in TypeScript's default project.
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'scripts/*.js', '.ci/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its error, and one passed where a callback's result is ignored
      // (an event handler, forEach, a void-returning option) does too: errors everywhere, tests included.
      // Fastify's reply methods return the reply, a thenable but not a Promise: the rule (checkThenables off,
      // its default) does not flag `reply.status(…)`, so no `void` is needed in front of them.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // CommonJS tooling run by Node directly: require() is how these files import.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
