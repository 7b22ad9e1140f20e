import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{agent,controller,shared}/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // End-to-end tests start real processes; two cores do not run many at once well.
    maxWorkers: 2,
  },
});
