/**
 * Argument checks shared by the pruning schedules. Each names the schedule and
 * the argument, shows the received value and states the allowed range; none
 * clamps or substitutes a value.
 */
import {checkOptionKeys, formatValue, ValueError} from '../src/errors.js';

/** A received value as it should read in a message (NaN and Infinity stay visible). */
export const formatReceived = formatValue;

/**
 * `value`, or `fallback` when the argument was left out. Only `undefined`
 * means "left out": an explicit null is checked (and rejected) like any value.
 */
export function withDefault(value: unknown, fallback: number): unknown {
  return value === undefined ? fallback : value;
}

/** Throws a ValueError `owner: argName must be <rule>; received <value>.` */
function reject(owner: string, argName: string, rule: string, value: unknown): never {
  throw new ValueError(`${owner}: ${argName} must be ${rule}; received ${formatReceived(value)}.`);
}

/** Checks that `value` is an integer >= `min`. */
export function checkIntegerAtLeast(
    value: unknown, min: number, owner: string, argName: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    reject(owner, argName, `an integer >= ${min}`, value);
  }
  return value;
}

/** Checks that `value` is a number in [0, 1), as TFMOT's `_validate_sparsity`. */
export function checkSparsity(value: unknown, owner: string, argName: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    reject(owner, argName, 'a number in [0, 1)', value);
  }
  return value;
}

/**
 * Checks that `value` is a finite number >= 0. TFMOT takes any power; a
 * negative one sends the sparsity out of [0, 1) as the decay ends.
 */
export function checkNonNegativeNumber(value: unknown, owner: string, argName: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    reject(owner, argName, 'a finite number >= 0', value);
  }
  return value;
}

/**
 * Checks `endStep` against `beginStep` (TFMOT's `_validate_step`): an integer
 * >= beginStep, or -1 ("prune until training ends") when `allowForever`.
 */
export function checkEndStep(
    value: unknown, beginStep: number, allowForever: boolean, owner: string): number {
  if (allowForever && value === -1) {
    return -1;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < beginStep) {
    const rule = `${allowForever ? '-1 (no end) or ' : ''}an integer >= beginStep (${beginStep})`;
    const why = value === -1 ? ' (-1, "no end", is not allowed: the decay needs an end step)' : '';
    reject(owner, 'endStep', rule + why, value);
  }
  return value;
}

/**
 * Checks that `args` is a plain object whose keys are all in `allowed`, so a
 * misspelt option fails instead of silently taking its default.
 */
export function checkArgsObject(
    args: unknown, allowed: readonly string[], owner: string): Record<string, unknown> {
  if (args == null) {
    throw new ValueError(
        `${owner}: expects an object {${allowed.join(', ')}}; received ${formatReceived(args)}.`);
  }
  checkOptionKeys(args, allowed, owner);
  return args as Record<string, unknown>;
}
