/**
 * `tfmot.sparsity`: magnitude pruning during fit, a port of
 * tfmot.sparsity.keras, plus global and filter pruning.
 *
 * `pruneLowMagnitude` wraps each prunable layer of a model copy in
 * {@link PruneLowMagnitude}; training with the {@link UpdatePruningStep}
 * callback zeroes the smallest weights by the schedule
 * ({@link ConstantSparsity}, {@link PolynomialDecay} or a
 * {@link PruningSchedule} subclass) and keeps them zero. `stripPruning`
 * returns the plain model, which compresses well (gzip) and, with
 * `quantization.Default8BitPrunePreserveQuantizeScheme`, stays sparse
 * through QAT (PQAT). Block (`blockSize`), m-by-n (`sparsityMByN`),
 * global (`scope: 'global'`) and filter (`structure: 'filters'`, which
 * `stripPruning` turns into a smaller model) pruning are options.
 *
 * ```ts
 * const pruning = tfmot.sparsity.pruneLowMagnitude(model, {pruningSchedule:
 *     new tfmot.sparsity.PolynomialDecay({initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: 100})});
 * pruning.compile({optimizer: 'adam', loss: 'categoricalCrossentropy'});
 * await pruning.fit(xs, ys, {epochs: 2, callbacks: [new tfmot.sparsity.UpdatePruningStep()]});
 * const pruned = tfmot.sparsity.stripPruning(pruning);
 * console.log(tfmot.sparsity.getSparsity(pruned).overall);
 * ```
 *
 * @packageDocumentation
 */
export {ConstantSparsity, PolynomialDecay, PruningSchedule} from '../../schedules/index.js';
export type {ConstantSparsityArgs, PolynomialDecayArgs, PruningDecision} from '../../schedules/index.js';
export {UpdatePruningStep} from '../../callbacks/update_pruning_step.js';
export {PruningSummaries} from '../../callbacks/pruning_summaries.js';
export type {PruningSummariesArgs} from '../../callbacks/pruning_summaries.js';
export {getSparsity, pruneLowMagnitude, stripPruning} from './prune.js';
export type {WeightSparsity} from './prune.js';
export {PruneLowMagnitude, PRUNE_CALLBACK_MISSING} from './prune_wrapper.js';
export type {PruneLowMagnitudeArgs, PruneParams} from './prune_wrapper.js';
export type {MaskStructure} from './masks.js';
export {PRUNABLE_LAYERS} from './prune_registry.js';
export type {PrunableLayer, PrunableWeight} from './prune_registry.js';
