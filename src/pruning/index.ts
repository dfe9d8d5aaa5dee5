/** `tfmot.sparsity`: magnitude pruning during fit (TFMOT's sparsity.keras), plus global and filter pruning. */
export {ConstantSparsity, PolynomialDecay, PruningSchedule} from '../../schedules/index.js';
export {UpdatePruningStep} from '../../callbacks/update_pruning_step.js';
export {PruningSummaries} from '../../callbacks/pruning_summaries.js';
export type {PruningSummariesArgs} from '../../callbacks/pruning_summaries.js';
export {getSparsity, pruneLowMagnitude, stripPruning} from './prune.js';
export type {WeightSparsity} from './prune.js';
export {PruneLowMagnitude, PRUNE_CALLBACK_MISSING} from './prune_wrapper.js';
export type {PruneLowMagnitudeArgs, PruneParams} from './prune_wrapper.js';
export {PRUNABLE_LAYERS} from './prune_registry.js';
export type {PrunableLayer, PrunableWeight} from './prune_registry.js';
