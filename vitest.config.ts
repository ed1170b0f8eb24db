import { defineConfig } from 'vitest/config';
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          // API suites boot a whole app per file; a loaded 2-core CI machine needs headroom.
          testTimeout: 60_000,
          hookTimeout: 120_000,
          include: [
            'backend/src/**/*.spec.ts',
            'satellite/src/**/*.spec.ts',
            'sdk/src/**/*.spec.ts',
          ],
        },
      },
      // Dashboard component/store tests run in happy-dom; browser e2e is separate (e2e/vitest.config.ts).
      './frontend/vitest.config.ts',
    ],
  },
});
