import type { Config } from 'jest';

// Path aliases mirror tsconfig.json "paths": every lib is imported as @app/<lib>.
const moduleNameMapper = {
  '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src',
};

const transform: Config['transform'] = {
  '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
};

const config: Config = {
  testTimeout: 60000,
  // Two test files at once on the 2-core machines: the integration tests mostly wait on Postgres,
  // HTTP and registries, so the suite takes about two thirds of the time it takes serially (Jest's
  // default here is one worker: cores - 1). Each file has its own database and Redis prefix.
  maxWorkers: 2,
  // Servers, workers and registries are closed in afterAll, but client libraries (ioredis reconnect
  // timers after an outage test, undici keep-alive pools) can keep the event loop alive for a while;
  // a test run must end when its tests have (CI has no one to press Ctrl-C).
  forceExit: true,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
      moduleNameMapper,
      transform,
    },
    {
      displayName: 'int',
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
      moduleNameMapper,
      transform,
      setupFiles: ['<rootDir>/test/support/per-file-env.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};

export default config;
