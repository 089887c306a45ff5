import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow-side code must replay deterministically, so it may not reach Node built-ins or I/O libraries.
const ioModules = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'express', 'undici', 'maxmind', 'yaml', 'pino',
  '@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', '.tools/**', 'bench/results/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', fetch: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The console's pages run in the browser, as plain ES modules without a build step.
    files: ['console/**/*.js'],
    languageOptions: { globals: Object.fromEntries(['window', 'document', 'location', 'Node', 'EventSource', 'URLSearchParams', 'getComputedStyle', 'requestAnimationFrame', 'setInterval', 'clearTimeout', 'setTimeout'].map((name) => [name, 'readonly'])) },
  },
  {
    // Tests read JSON answers loosely; production code may not.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['domain/**/*.ts', 'playbooks/**/*.ts', 'workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioModules.map((name) => ({ name, message: 'domain/, playbooks/ and workflows/ must stay deterministic: no Node built-ins or I/O.' })),
        patterns: [{ group: ['../activities/*', '../api/*', '../runtime/*', '../workers/*'], allowTypeImports: true, message: 'workflow-side code imports activities by type only.' }],
      }],
    },
  },
);
