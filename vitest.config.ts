import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    // Each Directus CLI start costs seconds; the boot tests run real ones.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
