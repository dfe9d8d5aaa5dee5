import {defineConfig} from 'vitest/config';

import {HANG_LIMIT_MS} from './test/helpers/limits.js';
import {E2E_TESTS} from './vitest.config.js';

/** `npm run test:e2e`: the example-scale runs `npm test` leaves out (see E2E_TESTS). */
export default defineConfig({
  test: {
    include: E2E_TESTS,
    // The Node entry, as Node resolves the package name (test/helpers/node_entry.ts).
    setupFiles: ['test/helpers/node_entry.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: HANG_LIMIT_MS,
    hookTimeout: HANG_LIMIT_MS,
  },
});
