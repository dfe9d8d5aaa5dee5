import {configDefaults, defineConfig} from 'vitest/config';

import {HANG_LIMIT_MS} from './test/helpers/limits.js';

/**
 * Example-scale end-to-end runs: the acceptance tests that train the
 * tutorial model (or two realistic nets) on thousands of real MNIST digits,
 * and the notebook runner in Jupyter. They take most of the suite's CPU time,
 * so `npm test` leaves them to `npm run test:e2e` (vitest.e2e.config.ts);
 * .ci/run runs both. One of them alone: `npm run test:e2e -- pcqat`.
 */
export const E2E_TESTS = [
  'test/quantization/mnist_qat.test.ts',
  'test/pruning/mnist_pruning.test.ts',
  'test/clustering/mnist_clustering.test.ts',
  'test/clustering/pcqat.test.ts',
  'test/tflite/realistic_models.test.ts',
  'test/tflite/export_mnist.test.ts',
  'test/notebooks/run_notebooks.test.ts',
  'test/**/*.e2e.test.ts',
  // The slowest layer-family runs (recurrent layers unrolled in every mode, Keras models through every technique).
  'test/tflite/text_and_recurrent.test.ts',
  'test/io/keras_models.test.ts',
];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...E2E_TESTS],
    // Training on wasm is CPU-bound and single-threaded; two workers fill the machine.
    // The Node entry, as Node resolves the package name (test/helpers/node_entry.ts).
    setupFiles: ['test/helpers/node_entry.ts'],
    pool: 'forks',
    maxWorkers: 2,
    // Only a genuine hang fails on time (test/helpers/limits.ts).
    testTimeout: HANG_LIMIT_MS,
    hookTimeout: HANG_LIMIT_MS,
  },
});
