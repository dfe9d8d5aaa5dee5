/** Pruning schedules (TFMOT's `sparsity.keras.ConstantSparsity`, `PolynomialDecay`). */
export {ConstantSparsity, deserializeSchedule, PolynomialDecay, PruningSchedule, serializeSchedule,
  shouldPruneInStep} from './pruning_schedule.js';
export type {ConstantSparsityArgs, PolynomialDecayArgs, PruningDecision} from './pruning_schedule.js';
