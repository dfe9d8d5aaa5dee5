/**
 * `tfmot.callbacks`: progress display for fit() (ProgressBar) and for long
 * work outside it such as TFLite conversion (progressLogger, ProgressEvent),
 * plus the pruning callbacks, also exported from `tfmot.sparsity`.
 *
 * ```ts
 * await model.fit(xs, ys, {epochs: 5, verbose: 0, callbacks: [new tfmot.callbacks.ProgressBar()]});
 * const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
 * converter.onProgress = tfmot.callbacks.progressLogger();
 * ```
 *
 * On a terminal both redraw one line; in logs (pipes, CI, notebooks) they
 * print one line per epoch or stage.
 *
 * @packageDocumentation
 */
export {ProgressBar} from '../../callbacks/progress_bar.js';
export type {ProgressBarArgs} from '../../callbacks/progress_bar.js';
export {progressLogger} from '../../callbacks/progress_logger.js';
export type {ProgressEvent, ProgressLoggerOptions} from '../../callbacks/progress_logger.js';
export type {ProgressOutputOptions} from '../../callbacks/progress_output.js';
export {PruningSummaries} from '../../callbacks/pruning_summaries.js';
export type {PruningSummariesArgs} from '../../callbacks/pruning_summaries.js';
export {UpdatePruningStep} from '../../callbacks/update_pruning_step.js';
