import { defineConfig } from 'vitest/config';

/**
 * Browser end-to-end tests of the dashboard: they build the frontend and backend, start the app
 * the way `npm start` does, and drive Debian's Chromium through playwright-core.
 *
 *   APOGEE_REQUIRE_BROWSER=1 npx vitest run --config e2e/vitest.config.ts
 *
 * Without Chromium they skip with a message, unless APOGEE_REQUIRE_BROWSER=1 makes them fail.
 */
export default defineConfig({
  test: {
    name: 'e2e',
    root: import.meta.dirname,
    include: ['**/*.e2e.spec.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
