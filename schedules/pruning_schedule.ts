/**
 * Pruning schedules (TFMOT's `sparsity/keras/pruning_schedule.py`): small
 * serializable strategies that map a training step to whether the layer
 * should re-prune at that step and the sparsity to prune to.
 */
import * as tf from '@tensorflow/tfjs-core';

import {ValueError} from '../src/errors.js';
import {checkArgsObject, checkEndStep, checkIntegerAtLeast, checkNonNegativeNumber, checkSparsity,
  formatReceived, withDefault} from './validation.js';

/** What a schedule says about one training step. */
export interface PruningDecision {
  /** Whether the mask is recomputed at this step. */
  shouldPrune: boolean;
  /** Fraction of weights to zero, in [0, 1). */
  sparsity: number;
}

/**
 * Maps a training step (an integer >= 0) to a {@link PruningDecision}.
 * Subclass it for a custom schedule, give the class a `static className` and
 * register it with `tf.serialization.registerClass` so pruned models load.
 */
export abstract class PruningSchedule extends tf.serialization.Serializable {
  /** The decision at `step`. */
  abstract call(step: number): PruningDecision;
  /** The constructor arguments, saved with a pruned model so loading rebuilds the schedule. */
  abstract override getConfig(): tf.serialization.ConfigDict;
}

/**
 * TFMOT's `_should_prune_in_step`: true when `step` lies in
 * [beginStep, endStep] (no upper bound when endStep < 0) and is a whole number
 * of `frequency` periods after beginStep.
 *
 * ```ts
 * shouldPruneInStep(300, 100, -1, 100);  // true
 * shouldPruneInStep(350, 100, -1, 100);  // false
 * ```
 */
export function shouldPruneInStep(
    step: number, beginStep: number, endStep: number, frequency: number): boolean {
  const inRange = step >= beginStep && (step <= endStep || endStep < 0);
  return inRange && (step - beginStep) % frequency === 0;
}

/** Checks the step passed to `call`: an integer >= 0. */
export function checkStep(step: unknown, owner: string): number {
  return checkIntegerAtLeast(step, 0, `${owner}.call`, 'step');
}

/** Arguments of {@link ConstantSparsity}. */
export interface ConstantSparsityArgs {
  /** Sparsity applied at every pruning step, in [0, 1). */
  targetSparsity: number;
  /** First step at which to prune, an integer >= 0. */
  beginStep: number;
  /** Last step at which to prune, >= beginStep; -1 (default) prunes until training ends. */
  endStep?: number;
  /** Prune every `frequency` steps from beginStep, an integer >= 1; default 100. */
  frequency?: number;
}

const CONSTANT_SPARSITY_ARGS = ['targetSparsity', 'beginStep', 'endStep', 'frequency'] as const;

/**
 * The same sparsity at every pruning step of [beginStep, endStep]. Mirrors
 * tfmot.sparsity.keras.ConstantSparsity.
 *
 * ```ts
 * const schedule = new ConstantSparsity({targetSparsity: 0.5, beginStep: 0});
 * schedule.call(200);  // {shouldPrune: true, sparsity: 0.5}
 * schedule.call(250);  // {shouldPrune: false, sparsity: 0.5}
 * ```
 */
export class ConstantSparsity extends PruningSchedule {
  /** Registered with tf.serialization (package 'Tfmot') so pruned models load with their schedule. */
  static className = 'ConstantSparsity';
  /** Sparsity applied at every pruning step. */
  readonly targetSparsity: number;
  /** First step at which to prune. */
  readonly beginStep: number;
  /** Last step at which to prune; -1 for no end. */
  readonly endStep: number;
  /** Steps between pruning steps. */
  readonly frequency: number;

  /**
   * Validates the arguments and fills in the defaults (`endStep` -1,
   * `frequency` 100).
   *
   * @throws ValueError for a missing, unknown or out-of-range argument.
   */
  constructor(args: ConstantSparsityArgs) {
    super();
    const owner = ConstantSparsity.className;
    const a = checkArgsObject(args, CONSTANT_SPARSITY_ARGS, owner);
    this.beginStep = checkIntegerAtLeast(a.beginStep, 0, owner, 'beginStep');
    this.endStep = checkEndStep(withDefault(a.endStep, -1), this.beginStep, true, owner);
    this.frequency = checkIntegerAtLeast(withDefault(a.frequency, 100), 1, owner, 'frequency');
    this.targetSparsity = checkSparsity(a.targetSparsity, owner, 'targetSparsity');
  }

  call(step: number): PruningDecision {
    checkStep(step, ConstantSparsity.className);
    return {
      shouldPrune: shouldPruneInStep(step, this.beginStep, this.endStep, this.frequency),
      sparsity: this.targetSparsity,
    };
  }

  /** The four fields, defaults included. */
  getConfig(): tf.serialization.ConfigDict {
    return {
      targetSparsity: this.targetSparsity,
      beginStep: this.beginStep,
      endStep: this.endStep,
      frequency: this.frequency,
    };
  }
}

/** Arguments of {@link PolynomialDecay}. */
export interface PolynomialDecayArgs {
  /** Sparsity at beginStep, in [0, 1). */
  initialSparsity: number;
  /** Sparsity from endStep on, in [0, 1). */
  finalSparsity: number;
  /** First step at which to prune, an integer >= 0. */
  beginStep: number;
  /**
   * Step at which finalSparsity is reached and pruning stops, an integer >=
   * beginStep; equal to it, the one pruning step prunes to finalSparsity.
   */
  endStep: number;
  /** Exponent of the decay, a finite number >= 0; default 3. */
  power?: number;
  /** Prune every `frequency` steps from beginStep, an integer >= 1; default 100. */
  frequency?: number;
}

const POLYNOMIAL_DECAY_ARGS =
    ['initialSparsity', 'finalSparsity', 'beginStep', 'endStep', 'power', 'frequency'] as const;

/**
 * Sparsity that moves fast from initialSparsity and levels off at
 * finalSparsity (Zhu & Gupta, arXiv:1710.01878). Mirrors
 * tfmot.sparsity.keras.PolynomialDecay:
 * `p = clip((step - beginStep) / (endStep - beginStep), 0, 1)`,
 * `sparsity = finalSparsity + (initialSparsity - finalSparsity) * (1 - p)^power`.
 * finalSparsity is only pruned to if `endStep - beginStep` is a multiple of
 * `frequency`, as in TFMOT. `endStep` may equal `beginStep`: one pruning
 * step, to finalSparsity (TFMOT computes 0 / 0 there).
 *
 * ```ts
 * const schedule = new PolynomialDecay(
 *     {initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: 1000});
 * schedule.call(500);  // {shouldPrune: true, sparsity: 0.7625}
 * ```
 */
export class PolynomialDecay extends PruningSchedule {
  /** Registered with tf.serialization (package 'Tfmot') so pruned models load with their schedule. */
  static className = 'PolynomialDecay';
  /** Sparsity at beginStep. */
  readonly initialSparsity: number;
  /** Sparsity from endStep on. */
  readonly finalSparsity: number;
  /** First step at which to prune. */
  readonly beginStep: number;
  /** Step at which finalSparsity is reached and pruning stops. */
  readonly endStep: number;
  /** Exponent of the decay. */
  readonly power: number;
  /** Steps between pruning steps. */
  readonly frequency: number;

  /**
   * Validates the arguments and fills in the defaults (`power` 3,
   * `frequency` 100).
   *
   * @throws ValueError for a missing, unknown or out-of-range argument.
   */
  constructor(args: PolynomialDecayArgs) {
    super();
    const owner = PolynomialDecay.className;
    const a = checkArgsObject(args, POLYNOMIAL_DECAY_ARGS, owner);
    this.beginStep = checkIntegerAtLeast(a.beginStep, 0, owner, 'beginStep');
    this.endStep = checkEndStep(a.endStep, this.beginStep, false, owner);
    this.frequency = checkIntegerAtLeast(withDefault(a.frequency, 100), 1, owner, 'frequency');
    this.initialSparsity = checkSparsity(a.initialSparsity, owner, 'initialSparsity');
    this.finalSparsity = checkSparsity(a.finalSparsity, owner, 'finalSparsity');
    this.power = checkNonNegativeNumber(withDefault(a.power, 3), owner, 'power');
  }

  call(step: number): PruningDecision {
    checkStep(step, PolynomialDecay.className);
    const span = this.endStep - this.beginStep;
    // With endStep == beginStep TFMOT divides 0 by 0 at its one pruning step
    // (NaN sparsity); the decay is then a jump to finalSparsity.
    const progress = span === 0 ? (step >= this.endStep ? 1 : 0) : (step - this.beginStep) / span;
    const p = Math.min(1, Math.max(0, progress));
    return {
      shouldPrune: shouldPruneInStep(step, this.beginStep, this.endStep, this.frequency),
      sparsity: this.finalSparsity +
          (this.initialSparsity - this.finalSparsity) * (1 - p) ** this.power,
    };
  }

  /** The six fields, defaults included. */
  getConfig(): tf.serialization.ConfigDict {
    return {
      initialSparsity: this.initialSparsity,
      finalSparsity: this.finalSparsity,
      beginStep: this.beginStep,
      endStep: this.endStep,
      power: this.power,
      frequency: this.frequency,
    };
  }
}

for (const cls of [ConstantSparsity, PolynomialDecay]) {
  tf.serialization.registerClass(cls, 'Tfmot');
}

/**
 * `{className, config}` of a schedule, the form {@link deserializeSchedule} reads.
 *
 * ```ts
 * serializeSchedule(new ConstantSparsity({targetSparsity: 0.5, beginStep: 0}));
 * // {className: 'ConstantSparsity',
 * //  config: {targetSparsity: 0.5, beginStep: 0, endStep: -1, frequency: 100}}
 * ```
 */
export function serializeSchedule(schedule: PruningSchedule): tf.serialization.ConfigDict {
  return {className: schedule.getClassName(), config: schedule.getConfig()};
}

/**
 * Rebuilds a schedule (ours or a registered custom one) from
 * `{className, config}`. The input is not modified.
 *
 * ```ts
 * const schedule = deserializeSchedule({className: 'PolynomialDecay', config: {
 *   initialSparsity: 0.5, finalSparsity: 0.8, beginStep: 0, endStep: 1000}});
 * ```
 */
export function deserializeSchedule(spec: tf.serialization.ConfigDict): PruningSchedule {
  if (spec == null || typeof spec !== 'object' || typeof spec.className !== 'string') {
    throw new ValueError(
        `deserializeSchedule: expects {className: string, config: object}; received ` +
        `${spec == null || typeof spec !== 'object' ? formatReceived(spec) :
          `className ${formatReceived(spec.className)}`}.`);
  }
  const className = spec.className;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry == null || !(entry[0].prototype instanceof PruningSchedule)) {
    throw new ValueError(
        `deserializeSchedule: className '${className}' is not a registered PruningSchedule; ` +
        `register custom schedules with tf.serialization.registerClass before loading.`);
  }
  const [cls, fromConfig] = entry;
  return fromConfig(cls, (spec.config ?? {}) as tf.serialization.ConfigDict) as PruningSchedule;
}
