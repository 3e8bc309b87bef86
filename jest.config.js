// Jest in ESM mode: ts-jest compiles TypeScript as ES modules; `npm test` starts Node with
// --experimental-vm-modules, which Jest's ESM support needs, and --disable-warning=ExperimentalWarning, since
// the one warning it would print ("VM Modules is an experimental feature") is that flag's, at every run.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  // tsc rewrites our `.ts` import specifiers to `.js`; map them back to the sources.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 30000,
  // The real control plane (started, or reused when `npm run cluster:up` runs one) with the CRDs applied, and
  // a fresh dist/ for the operator tests; skipped when only unit/property/store paths are selected. Stopped
  // after the run only if this run started it. See docs/testing.md.
  globalSetup: '<rootDir>/test/support/cluster-setup.ts',
  globalTeardown: '<rootDir>/test/support/cluster-teardown.ts',
};
