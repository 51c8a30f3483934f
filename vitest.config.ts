import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share one embedded AWS stack per worker; keep the pool small on 2-core machines.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One DynamoDB Local for the whole run; each test file creates its own table (docs/local-stack.md).
    globalSetup: ['test/support/global-setup.ts'],
  },
});
