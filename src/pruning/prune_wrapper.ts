/**
 * PruneLowMagnitude: wraps a layer whose weights are pruned during fit().
 * It owns a 0/1 mask per prunable weight and the pruning step; the
 * UpdatePruningStep callback advances the step, recomputes masks on schedule
 * steps and writes w * mask back after every batch, so pruned weights stay
 * exactly zero (the optimizer's momentum cannot revive them).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import {ConstantSparsity, deserializeSchedule, PruningSchedule} from '../../schedules/index.js';
import {checkStringUnion, describeValue, formatValue, optionKeys, NotSupportedError, ValueError} from '../errors.js';
import {OptimizationWrapper, WrapperArgs} from '../graph/wrapper.js';
import {weightVariable} from '../graph/layer_attributes.js';
import {serializeObject} from '../graph/serialization.js';
import {checkMByN, MaskStructure} from './masks.js';
import {prunableWeights, PrunableWeight} from './prune_registry.js';


export const VALID_BLOCK_POOLING = ['AVG', 'MAX'] as const;
export const VALID_SCOPES = ['layer', 'global'] as const;
export const VALID_STRUCTURES = ['unstructured', 'filters'] as const;

/** Pruning options, as TFMOT's prune_low_magnitude plus `scope` and `structure`. */
export interface PruneParams {
  /** When and how much to prune; default ConstantSparsity(0.5, beginStep 0). */
  pruningSchedule?: PruningSchedule;
  /** Prune [rows, cols] blocks of the 2-D weight view together; default [1, 1]. */
  blockSize?: [number, number];
  /** How a block is scored: 'AVG' (default) or 'MAX' of its magnitudes. */
  blockPoolingType?: typeof VALID_BLOCK_POOLING[number];
  /**
   * `[m, n]`: m zeros in every n consecutive weights along the input axis
   * (TFMOT's `sparsity_m_by_n`), integers with 1 <= m < n; [2, 4] keeps 2
   * of every 4 and [1, 4] keeps 3. It replaces the schedule's sparsity. An
   * input dimension that is not a multiple of n ends with a short group,
   * treated as padded with zeros (as TFMOT): it keeps its min(n - m, length)
   * largest weights. Masks are recomputed on the schedule's pruning steps
   * (TFMOT computes them once, at its first step).
   */
  sparsityMByN?: [number, number]|null;
  /** 'global': one threshold over all layers pruned with 'global' (beyond TFMOT). */
  scope?: typeof VALID_SCOPES[number];
  /** 'filters': prune whole output channels/units by L2 norm (beyond TFMOT). */
  structure?: typeof VALID_STRUCTURES[number];
}

/** Message shown when a pruned model trains without the step callback. */
export const PRUNE_CALLBACK_MISSING =
    'Pruning wrappers need the UpdatePruningStep callback during training: ' +
    'model.fit(x, y, {callbacks: [new tfmot.sparsity.UpdatePruningStep()]}).';

function checkPair(value: unknown, name: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2 ||
      !value.every((v) => Number.isInteger(v) && v >= 1)) {
    throw new ValueError(`${name} must be two positive integers; received ${formatValue(value)}.`);
  }
  return [value[0], value[1]];
}

/** The keys of {@link PruneParams}. */
export const PRUNE_PARAM_KEYS = optionKeys<PruneParams>({pruningSchedule: true, blockSize: true,
  blockPoolingType: true, sparsityMByN: true, scope: true, structure: true});

/** Validates and fills in defaults. */
export function resolvePruneParams(params: PruneParams = {}): Required<PruneParams> {
  const schedule = params.pruningSchedule ??
      new ConstantSparsity({targetSparsity: 0.5, beginStep: 0});
  if (!(schedule instanceof PruningSchedule)) {
    throw new ValueError(
        `pruningSchedule must be a PruningSchedule (PolynomialDecay, ConstantSparsity or a ` +
        `subclass); received ${describeValue(schedule)}.`);
  }
  const blockSize = checkPair(params.blockSize ?? [1, 1], 'blockSize');
  const mByN = params.sparsityMByN == null ? null : checkMByN(params.sparsityMByN);
  const structure = checkStringUnion(params.structure ?? 'unstructured', VALID_STRUCTURES, 'structure');
  if (structure === 'filters' && (blockSize[0] !== 1 || blockSize[1] !== 1 || mByN != null)) {
    throw new ValueError(`structure 'filters' cannot be combined with blockSize or sparsityMByN.`);
  }
  return {
    pruningSchedule: schedule,
    blockSize,
    blockPoolingType: checkStringUnion(params.blockPoolingType ?? 'AVG', VALID_BLOCK_POOLING,
        'blockPoolingType'),
    sparsityMByN: mByN,
    scope: checkStringUnion(params.scope ?? 'layer', VALID_SCOPES, 'scope'),
    structure,
  };
}

/** The highest sparsity a schedule asks for, if it says (ConstantSparsity, PolynomialDecay), else null. */
function highestSparsity(schedule: PruningSchedule): number|null {
  const s = schedule as unknown as {targetSparsity?: unknown, finalSparsity?: unknown, initialSparsity?: unknown};
  const values = [s.targetSparsity, s.finalSparsity, s.initialSparsity].filter((v) => typeof v === 'number');
  return values.length > 0 ? Math.max(...values as number[]) : null;
}

/**
 * Checks that `blockSize` fits the weight's 2-D view [weights per output,
 * outputs] and leaves enough blocks to prune at the schedule's sparsity: a
 * block as large as the kernel is one unit, which the mask update always
 * keeps, so nothing would be pruned without a word.
 */
function checkBlockSize(layerName: string, attr: string, shape: number[], outputAxis: number,
    params: Required<PruneParams>): void {
  const [br, bc] = params.blockSize;
  if ((br === 1 && bc === 1) || params.structure !== 'unstructured' || params.sparsityMByN != null) {
    return;
  }
  const cols = shape[outputAxis];
  const rows = shape.reduce((a, b) => a * b, 1) / cols;
  const where = `Layer '${layerName}': blockSize [${br}, ${bc}] for '${attr}' (shape [${shape}], ` +
      `pruned as [${rows}, ${cols}]: weights per output, outputs)`;
  if (br > rows || bc > cols) {
    throw new ValueError(`${where} is larger than the weight; use a block of at most [${rows}, ${cols}].`);
  }
  const sparsity = highestSparsity(params.pruningSchedule);
  const blocks = Math.ceil(rows / br) * Math.ceil(cols / bc);
  // selectUnits keeps max(round(blocks * (1 - sparsity)), 1) blocks of a weight pruned on its own.
  if (params.scope === 'layer' && sparsity != null && sparsity > 0 &&
      Math.max(Math.round(blocks * (1 - sparsity)), 1) >= blocks) {
    throw new ValueError(`${where} makes ${blocks} block${blocks === 1 ? '' : 's'}, too few to prune any ` +
        `at sparsity ${sparsity}; use a smaller block.`);
  }
}

/** Constructor arguments of {@link PruneLowMagnitude}. */
export interface PruneLowMagnitudeArgs extends PruneParams, WrapperArgs {}

/**
 * The pruning wrapper layer (named `prune_low_magnitude_<layer>` as in
 * TFMOT), TFMOT's PruneLowMagnitude in sparsity.keras. It owns a 0/1 mask
 * and a threshold per prunable weight and the pruning step; the
 * UpdatePruningStep callback advances the step, recomputes the masks on
 * the schedule's steps and writes `w * mask` back after every batch, so
 * pruned weights stay exactly zero. `pruneLowMagnitude` creates it;
 * `stripPruning` removes it.
 *
 * Mask updates run as tensor ops on the active backend (topk, scatterND,
 * reductions) and read no weight back to the CPU, so a mask update every
 * step does not stall webgl/webgpu. A layer keeps exactly
 * max(round(units * (1 - sparsity)), 1) units: units tied at the threshold
 * are kept by position, lowest first (TFMOT keeps every weight with
 * |w| >= the k-th largest, so ties may keep more there).
 */
export class PruneLowMagnitude extends OptimizationWrapper {
  /** Registered with tf.serialization (package 'Tfmot') so saved pruned models load back. */
  static className = 'PruneLowMagnitude';
  /** The validated options with defaults filled in. */
  readonly params: Required<PruneParams>;
  /** The inner layer's prunable weights, in the order of `masks` and `thresholds`. */
  readonly weightSpecs: PrunableWeight[];
  /** One mask per prunable weight, same shape, 1 = kept. */
  masks: tfl.LayerVariable[] = [];
  /** Magnitude below which weights were pruned at the last mask update. */
  thresholds: tfl.LayerVariable[] = [];
  /** -1 until UpdatePruningStep runs; then the training step. */
  pruningStep?: tfl.LayerVariable;
  /**
   * The step last written or read by the pruning code, so a training call
   * need not read `pruningStep` back; null until then (e.g. weights just
   * loaded), when the first training call reads it once.
   */
  private knownStep: number|null = null;

  /**
   * Wraps `args.layer`; masks, thresholds and the step are created when the
   * wrapper is built.
   *
   * @throws ValueError if the layer is already wrapped for pruning or the
   *     options are invalid; NotSupportedError if it has no prunable weight.
   */
  constructor(args: PruneLowMagnitudeArgs) {
    if (args?.layer instanceof PruneLowMagnitude) {
      throw new ValueError(`Layer '${args.layer.layer.name}' is already wrapped for pruning.`);
    }
    super(args, 'pruneLowMagnitude', 'prune_low_magnitude_', PRUNE_PARAM_KEYS);
    const weights = prunableWeights(args.layer);
    if (weights.length === 0) {
      throw new NotSupportedError(
          `Layer '${args.layer.name}' (${args.layer.getClassName()}) has no prunable weights.`);
    }
    this.params = resolvePruneParams(args);
    this.weightSpecs = weights;
  }

  /** The MaskStructure the masks of this layer follow. */
  maskStructure(): MaskStructure {
    return {blockSize: this.params.blockSize, blockPooling: this.params.blockPoolingType,
      mByN: this.params.sparsityMByN, structure: this.params.structure};
  }

  /** The LayerVariable behind a prunable weight. */
  weightVariable(spec: PrunableWeight): tfl.LayerVariable {
    return weightVariable(this.layer, spec.attr)!;
  }

  /**
   * Builds the inner layer, then adds the masks (all ones), thresholds and
   * the pruning step (-1).
   *
   * @throws ValueError if a prunable weight is missing, or `blockSize`
   *     is larger than a weight's 2-D view or leaves too few blocks to
   *     prune any at the schedule's sparsity.
   */
  override build(inputShape: tfl.Shape|tfl.Shape[]): void {
    super.build(inputShape);
    this.masks = this.weightSpecs.map((spec) => {
      const variable = this.weightVariable(spec);
      if (variable == null || typeof variable.read !== 'function') {
        throw new ValueError(
            `Layer '${this.layer.name}' names prunable weight '${spec.attr}', which it does not have.`);
      }
      checkBlockSize(this.layer.name, spec.attr, variable.shape as number[], spec.outputAxis, this.params);
      return this.addWeight(`${spec.attr}_mask`, variable.shape as number[], 'float32',
          tfl.initializers.ones(), undefined, false);
    });
    this.thresholds = this.weightSpecs.map((spec) => this.addWeight(
        `${spec.attr}_threshold`, [], 'float32', tfl.initializers.zeros(), undefined, false));
    this.pruningStep = this.addWeight('pruning_step', [], 'float32',
        tfl.initializers.constant({value: -1}), undefined, false);
    this.built = true;
  }

  /**
   * Runs the inner layer, whose weights are kept masked in place.
   *
   * @throws ValueError in training if UpdatePruningStep has not run
   *     ({@link PRUNE_CALLBACK_MISSING}).
   */
  override call(inputs: tf.Tensor|tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor|tf.Tensor[] {
    if (kwargs?.['training'] === true) {
      // Read once at most: a read per training call would stall a GPU backend every step.
      this.knownStep ??= this.pruningStep!.read().dataSync()[0];
      if (this.knownStep < 0) {
        throw new ValueError(`${PRUNE_CALLBACK_MISSING} (layer '${this.name}')`);
      }
    }
    // Weights are kept masked in place (see applyMasks), so the layer runs as is.
    return this.layer.call(inputs, kwargs);
  }

  /**
   * w * mask for every prunable weight. With `structure: 'filters'` the bias
   * of a pruned filter is zeroed too, so the whole channel is gone and
   * stripPruning can remove it.
   */
  override inferenceWeights(): Map<string, tf.Tensor|null> {
    const values = new Map<string, tf.Tensor|null>();
    const bias = weightVariable(this.layer, 'bias');
    this.weightSpecs.forEach((spec, i) => {
      const mask = this.masks[i].read();
      values.set(spec.attr, tf.mul(this.weightVariable(spec).read(), mask));
      if (this.params.structure === 'filters' && bias != null && this.weightSpecs.length === 1) {
        const otherAxes = [...Array(mask.rank).keys()].filter((a) => a !== spec.outputAxis);
        values.set('bias', tf.mul(bias.read(), tf.max(mask, otherAxes)));
      }
    });
    return values;
  }

  /** Records the step the pruning code wrote to (or read from) `pruningStep`. */
  noteStep(step: number): void {
    this.knownStep = step;
  }

  /** Writes the masked values (see `inferenceWeights`) into the weights. */
  applyMasks(): void {
    tf.tidy(() => {
      for (const [attr, value] of this.inferenceWeights()) {
        weightVariable(this.layer, attr)!.write(value!);
      }
    });
  }

  /** The wrapper config plus the pruning options (the schedule serialized), so a saved model rebuilds it. */
  override getConfig(): tf.serialization.ConfigDict {
    const p = this.params;
    return {
      ...super.getConfig(),
      pruningSchedule: serializeObject(p.pruningSchedule),
      blockSize: [...p.blockSize],
      blockPoolingType: p.blockPoolingType,
      sparsityMByN: p.sparsityMByN == null ? null : [...p.sparsityMByN],
      scope: p.scope,
      structure: p.structure,
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
      cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return OptimizationWrapper.fromConfigWith(cls, config, ({pruningSchedule, blockPoolingType}) => ({
      // model.save() snake-cases string values ('AVG' -> 'avg'); restore the case.
      blockPoolingType: typeof blockPoolingType === 'string' ? blockPoolingType.toUpperCase() : blockPoolingType,
      pruningSchedule: deserializeSchedule(pruningSchedule as tf.serialization.ConfigDict),
    }));
  }
}
tf.serialization.registerClass(PruneLowMagnitude, 'Tfmot');
