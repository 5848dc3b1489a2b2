import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    // What tests print on purpose (job signals, logs of injected faults, @azure/functions'
    // test-mode warnings) is kept and shown with a failing test only, so a failure stands out.
    silent: 'passed-only',
  },
});
