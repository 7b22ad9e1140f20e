import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests too slow for the default suite (the dashboard's browser tests take about 90 s each) (`pnpm test`, the project "default", kept under 15
 * minutes on a 2-core machine): `pnpm test:long` runs them (the project "long"), and `.ci/run` runs both
 * on both databases.
 */
/** Every browser test of the dashboard (test/e2e/dashboard*.test.ts) is long. */
const LONG_TESTS = [
  'test/build/agent-executables.test.ts',
  'test/e2e/agent-update.test.ts',
  'test/deploy/agent-deb.test.ts',
  'test/build/release.test.ts',
  'test/deploy/controller-tree.test.ts',
  'test/e2e/migrate.test.ts',
  'test/e2e/health-gate.test.ts',
  'test/e2e/health-delivery.test.ts',
  'test/e2e/agent-cap.test.ts',
  'test/e2e/failover.test.ts',
  'test/bench/fanout/replicas.test.ts',
  'test/bench/fanout/cap.test.ts',
  'test/fuzz/rest.fuzz.test.ts',
  'test/sim/demo-e2e.test.ts',
  'test/e2e/dashboard*.test.ts',
  'test/deploy/windows-installer.test.ts',
];

export default defineConfig({
  test: {
    // Many tests start real processes (a CLI run is node + tsx: seconds); on a loaded 2-core CI machine
    // several took 25-30 s, and two passed 30 s (stop 25). A hung test still fails, a minute later.
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // End-to-end tests start real processes; two cores do not run many at once well.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'default', include: ['{agent,controller,shared,dashboard}/src/**/*.test.ts', 'test/**/*.test.ts'], exclude: ['**/node_modules/**', '**/dist/**', ...LONG_TESTS] },
      },
      { extends: true, test: { name: 'long', include: LONG_TESTS } },
    ],
  },
});
