const stylistic = require('@stylistic/eslint-plugin');
const { defineConfig } = require('eslint/config');
const tseslint = require('typescript-eslint');

/** Rooms above the workflows: a workflow file may not know them, not even by type. */
const ABOVE_WORKFLOWS = 'services|workers|triggers|demo|bench|scripts|test';

module.exports = defineConfig(
  { ignores: ['dist/', 'node_modules/', '.lucid/', 'test/fixtures/'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin, '@stylistic': stylistic },
    rules: {
      // A promise nobody awaits loses its failure: an activity that "succeeded" before its write, a CLI exit 0.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@stylistic/max-len': ['error', { code: 150, ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox and is replayed from history: it may use values
    // only from the SDK's workflow side, other workflow files and common/, and only the types of activities
    // and the rooms below (types are erased, so they never reach the bundle).
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          {
            regex: '^(?!@temporalio/(workflow|common)$|\\.{1,2}/)',
            message: 'workflow code may import only @temporalio/workflow (and @temporalio/common) from packages.',
          },
          {
            regex: `^\\.\\./(?!common/|(${ABOVE_WORKFLOWS})/)`,
            allowTypeImports: true,
            message: 'workflow code may take only types from outside workflows/ and common/: use `import type`, and call activities through proxyActivities.',
          },
          {
            regex: `^\\.\\./(${ABOVE_WORKFLOWS})/`,
            message: 'workflow code sits below services, workers, triggers, the demo and the tests: move what it needs down to common/.',
          },
        ],
      }],
    },
  },
  {
    // The process runner sits under git and Compose alike, so it may lean on no room of the project.
    files: ['process/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ regex: '^\\.\\./', message: 'process/ sits below every room: it may import only Node and packages.' }],
      }],
    },
  },
  {
    files: ['config/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ regex: '^\\.\\./workflows(/|$)', message: 'config/ sits below the workflows: move what both need to common/.' }],
      }],
    },
  },
  {
    // Only a worker wires activities in, and only through a plane's factory module.
    files: ['workers/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{
          regex: '(^|/)activities/(?!(\\w+)/\\2-activities$)',
          message: 'workers import an activities plane only through its factory, activities/<plane>/<plane>-activities.',
        }],
      }],
    },
  },
  {
    files: ['services/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{
          regex: '(^|/)activities/',
          allowTypeImports: true,
          message: 'services reach activities through workflows; share code through a room both can use (sessions/, repo/, compose/, ...).',
        }],
      }],
    },
  },
);
