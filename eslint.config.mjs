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
      // Any thenable counts, not only Promise, with one exception: Fastify's FastifyReply. Its methods
      // (status, header, send…) set the reply and return the same reply for chaining; its `then` only
      // waits for the answer to be written, which a Nest controller or filter never needs to await.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { checkThenables: true, allowForKnownSafePromises: [{ from: 'package', name: 'FastifyReply', package: 'fastify' }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      // `const { secret: _omitted, ...rest } = value` is how this code leaves a field out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // Tests read untyped JSON (HTTP answers through supertest, rows through pg) and poke at it: there, and
    // only there, `any` may flow and be declared. Promises stay checked in tests like everywhere else.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
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
