import { defineConfig } from 'vitest/config';
import { scaled } from './test/support/timeouts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share one embedded AWS stack per worker; keep the pool small on 2-core machines.
    pool: 'forks',
    maxWorkers: 2,
    // Quiet-machine allowances, stretched by the load when the run starts (test/support/timeouts.ts).
    testTimeout: scaled(60_000),
    hookTimeout: scaled(120_000),
    // One DynamoDB Local for the whole run; each test file creates its own table (docs/local-stack.md).
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // The handlers' structured logs and EMF metrics are for CloudWatch; tests assert on state instead.
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
