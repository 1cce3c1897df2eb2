import { defineConfig } from 'vitest/config';

const esbuild = { jsx: 'automatic' as const };

export default defineConfig({
  test: {
    // Two cores, shared with the server under test.
    maxWorkers: 2,
    projects: [
      { esbuild, test: { name: 'unit', include: ['test/unit/**/*.test.{ts,tsx}'], environment: 'node' } },
      {
        esbuild,
        test: {
          name: 'integration', include: ['test/integration/**/*.test.ts'], environment: 'node',
          testTimeout: 120_000, hookTimeout: 60_000,
        },
      },
    ],
  },
});
