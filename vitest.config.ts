import { defineConfig } from 'vitest/config';
import { scaled } from './test/support/timeouts.ts';

export default defineConfig({
  test: {
    // Quiet-machine allowances, stretched by the load when the run starts (test/support/timeouts.ts).
    testTimeout: scaled(60_000),
    hookTimeout: scaled(120_000),
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // The handlers' structured logs and EMF metrics are for CloudWatch; tests assert on state instead.
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Pure code with no process-wide state: worker threads that keep their module cache between
          // files halve the run (most of a unit file's time is importing zod, the SDK types, the engine).
          pool: 'threads',
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'aws',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/infra/**/*.test.ts'],
          // Each file runs its own emulators and handlers' module state: a process per file, few at once.
          pool: 'forks',
          // One DynamoDB Local for the whole run; each test file creates its own table (docs/local-stack.md).
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
