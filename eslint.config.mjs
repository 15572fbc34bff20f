import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'libs/*/dist/**',
      'node_modules/**',
      'coverage/**',
      '.data/**',
      'test-output/**',
      // A separate app that imports the library as its users do: test/library/library.e2e-spec.ts.
      'test/library/fixture/**',
      'test/library/resource-server-fixture/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through AppConfig.' },
      ],
    },
  },
  // The library's layers, bottom to top: core, domain, http, options (the module's wiring). A layer
  // imports only those below it; nothing in the library imports the service, and only http and the
  // wiring may know a Nest platform.
  ...libraryLayers(),
);

function libraryLayers() {
  const platforms = ['fastify', 'express', '@nestjs/platform-fastify', '@nestjs/platform-express'];
  const service = {
    group: ['**/src/**', '../../../src/*'],
    message: 'The library never imports the service.',
  };
  const rule = (message, groups, paths = []) => ({
    'no-restricted-imports': [
      'error',
      {
        paths: paths.map((name) => ({ name, message })),
        patterns: [service, ...groups.map((group) => ({ group: [group], message }))],
      },
    ],
  });
  return [
    {
      files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                group: ['**/libs/**'],
                message: 'Import the library by its package name, @session-service/nestjs.',
              },
            ],
          },
        ],
      },
    },
    {
      // The service is an app built on the library: it uses what any app can.
      files: ['src/**/*.ts'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: [
              {
                name: '@session-service/nestjs/internal',
                message: 'The service uses the public entry point, @session-service/nestjs.',
              },
            ],
            patterns: [
              {
                group: ['**/libs/**'],
                message: 'Import the library by its package name, @session-service/nestjs.',
              },
            ],
          },
        ],
      },
    },
    {
      files: ['libs/session-auth/src/core/**/*.ts'],
      rules: rule(
        'core is the bottom layer: it imports no other layer and no platform.',
        ['**/persistence/**', '**/domain/**', '**/http/**', '**/options/**', '**/users/**'],
        platforms,
      ),
    },
    {
      files: ['libs/session-auth/src/persistence/**/*.ts'],
      rules: rule(
        'persistence sits on core alone: it imports no domain, http, options or built-in users, and no platform.',
        ['**/domain/**', '**/http/**', '**/options/**', '**/users/builtin/**'],
        platforms,
      ),
    },
    {
      files: ['libs/session-auth/src/domain/**/*.ts'],
      rules: rule(
        'The session domain knows no HTTP: it imports only persistence and core.',
        ['**/http/**', '**/options/**'],
        platforms,
      ),
    },
    {
      files: ['libs/session-auth/src/users/builtin/**/*.ts'],
      rules: rule(
        'The built-in accounts are domain-level code: they import only persistence and core.',
        ['**/http/**', '**/options/**'],
        platforms,
      ),
    },
    {
      files: ['libs/session-auth/src/http/**/*.ts'],
      rules: rule(
        'http receives resolved options from the module and reaches the tables through the domain: it imports neither options nor persistence.',
        ['**/options/**', '**/persistence/**'],
      ),
    },
    {
      // Apps that only verify tokens install neither the database drivers nor argon2: nothing
      // here may load them (resource-server/import-graph.spec.ts checks the imports' imports).
      files: ['libs/session-auth/src/resource-server/**/*.ts'],
      rules: rule(
        'resource-server loads without typeorm, pg, argon2 or ioredis: it uses core, the token cache, the decorators and the guard base, never persistence, the built-in users, the session domain or SessionAuthModule.',
        [
          '**/persistence/**',
          '**/users/builtin/**',
          '**/options/**',
          '**/domain/sessions/**',
          '**/domain/auth.service',
          '**/http/auth.guard',
          '**/http/strategies',
          '**/session-auth.module',
          'typeorm/*',
          'pg/*',
          '@nestjs/typeorm/*',
        ],
        [...platforms, 'typeorm', 'pg', 'argon2', 'ioredis', '@nestjs/typeorm'],
      ),
    },
    {
      files: ['libs/session-auth/src/options/**/*.ts'],
      rules: rule(
        'The options layer sits under the module alone: it never imports the service.',
        [],
      ),
    },
  ];
}
