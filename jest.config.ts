import type { Config } from 'jest';

// Path aliases mirror tsconfig.json "paths": every lib is imported as @app/<lib>.
const moduleNameMapper = {
  '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src',
};

// tsconfig.json sets isolatedModules, so ts-jest transpiles each file on its own without type
// checking (`npm run typecheck` does that once for the whole tree).
const transform: Config['transform'] = {
  '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
};

const config: Config = {
  testTimeout: 60000,
  // Three test files at once on the 2-core machines: the integration tests mostly wait on Postgres,
  // HTTP, registries and child processes, and with two files the CPUs were busy 66% of the time
  // (three: 70%, and the suite took 505 s instead of about 575 s; Jest's default here is one worker:
  // cores - 1). Each file has its own database and Redis prefix.
  maxWorkers: 3,
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
