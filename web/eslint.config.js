import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist',
      'node_modules',
      'src/api/schema.d.ts',
      'test-results',
      'playwright-report',
      'artifacts',
    ],
  },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: { ecmaVersion: 2023, globals: { ...globals.browser, ...globals.node } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // a React Compiler hint (TanStack Virtual); the app does not use the compiler
      'react-hooks/incompatible-library': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'use the generated API client (src/api) or src/auth/cognito.ts' },
      ],
    },
  },
  {
    files: [
      'src/api/client.ts',
      'src/auth/cognito.ts',
      'src/config.ts',
      'vite.config.ts',
      'e2e/**',
      'scripts/**',
    ],
    rules: { 'no-restricted-globals': 'off' },
  },
);
