import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { include: ['backend/src/**/*.spec.ts', 'satellite/src/**/*.spec.ts', 'sdk/src/**/*.spec.ts'] } });
