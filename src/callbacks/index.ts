/**
 * `tfmot.callbacks`: progress display for fit() (ProgressBar) and for long
 * work outside it such as TFLite conversion (progressLogger, ProgressEvent),
 * plus the pruning callbacks, also exported from `tfmot.sparsity`.
 */
export {ProgressBar} from '../../callbacks/progress_bar.js';
export type {ProgressBarArgs} from '../../callbacks/progress_bar.js';
export {progressLogger} from '../../callbacks/progress_logger.js';
export type {ProgressEvent, ProgressLoggerOptions} from '../../callbacks/progress_logger.js';
export type {ProgressOutputOptions} from '../../callbacks/progress_output.js';
export {PruningSummaries} from '../../callbacks/pruning_summaries.js';
export type {PruningSummariesArgs} from '../../callbacks/pruning_summaries.js';
export {UpdatePruningStep} from '../../callbacks/update_pruning_step.js';
