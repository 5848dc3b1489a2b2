import { defineConfig } from 'vitest/config';

/**
 * The fast unit tests of the pure modules that decide access and anonymisation: what
 * `npm run mutate` (stryker.config.mjs) runs against each mutant. No emulators, no app.
 */
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/privacy/name-mentions.test.ts'],
    pool: 'threads',
    reporters: ['default'],
  },
});
