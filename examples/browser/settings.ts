/** The demo's settings and their defaults (no imports: the page script bundles this file alone). */

/** Defaults of the page (each can be changed with a URL parameter of the same name). */
export const DEMO_DEFAULTS = {
  seed: 42,
  /** Training digits used (the bundled file holds `BUNDLED.train`). */
  train: 2000,
  /** Held-out digits for the accuracies. */
  test: 500,
  /** Epochs of float training before QAT. */
  epochs: 2,
  /** Epochs of QAT fine-tuning (and of pruning, when on). */
  qatEpochs: 1,
  batchSize: 32,
  /** Training digits the int8 converter calibrates on. */
  calibration: 100,
};

/** What the build bundles: a seeded pick of the `mnist` package's digits. */
export const BUNDLED = {train: 2000, test: 500, seed: DEMO_DEFAULTS.seed};

/** The page's settings. */
export type DemoSettings = typeof DEMO_DEFAULTS & {
  /** Prune 50% of the weights before QAT (then QAT keeps the zeros). */
  prune: boolean,
  /** Backend for tfjs: 'webgl', 'wasm' or 'cpu'; empty lets `tfmot.backend.init` pick. */
  backend: string,
};

