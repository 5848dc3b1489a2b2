// @ts-check
/**
 * `npm run mutate`: mutation testing of the pure modules that decide access and
 * anonymisation, against their fast unit tests (vitest.mutation.config.ts). Not in CI; the
 * score and the command are in docs/benchmarks.md. Below 85% killed it fails.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'lib/access/scopes.ts',
    'lib/privacy/keyed-digest.ts',
    'lib/privacy/name-mentions.ts',
    // The anonymisation of records (schoolYearOf, anonymise), not the provider's Cosmos calls below it.
    'lib/records/records-privacy.ts:11-58',
    'lib/paging/continuation-sealer.ts',
    'lib/usage/retention-policy.ts',
    'lib/governance/retention-policy.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: '.stryker/report.html' },
  jsonReporter: { fileName: '.stryker/report.json' },
  tempDirName: '.stryker/tmp',
  thresholds: { high: 90, low: 85, break: 85 },
};
