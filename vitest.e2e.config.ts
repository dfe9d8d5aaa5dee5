import {defineConfig} from 'vitest/config';

// `npm run test:e2e`: the heavy end-to-end files (*.e2e.test.ts), which `npm test` leaves out.
export default defineConfig({
  test: {
    include: ['test/**/*.e2e.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
