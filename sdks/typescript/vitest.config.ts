import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.{ts,tsx}'], environment: 'node' } },
      {
        test: {
          name: 'integration', include: ['test/integration/**/*.test.ts'], environment: 'node',
          testTimeout: 120_000, hookTimeout: 60_000, maxWorkers: 2, minWorkers: 1,
        },
      },
    ],
  },
});
