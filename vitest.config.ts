import { defineConfig } from 'vitest/config';
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'node', include: ['backend/src/**/*.spec.ts', 'satellite/src/**/*.spec.ts', 'sdk/src/**/*.spec.ts'] } },
      // Dashboard component/store tests run in happy-dom; browser e2e is separate (e2e/vitest.config.ts).
      './frontend/vitest.config.ts',
    ],
  },
});
