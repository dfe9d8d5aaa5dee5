/**
 * Error classes named as in Keras/TFMOT so ported scripts can catch them by
 * the same names. Messages always name the argument or layer at fault, what
 * was received and what is allowed.
 */

/** An argument has the right type but a value that is not allowed. */
export class ValueError extends Error {
  /**
   * Sets `name` to 'ValueError', so stack traces and `err.name` read as in Python.
   *
   * @param message Names the argument at fault, the value received and what is allowed.
   */
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

/** An object (layer, model) is not of a kind the operation supports. */
export class NotSupportedError extends Error {
  /**
   * Sets `name` to 'NotSupportedError', so stack traces and `err.name` read as in Python.
   *
   * @param message Names the layer or model at fault and what it does that is not supported.
   */
  constructor(message: string) {
    super(message);
    this.name = 'NotSupportedError';
  }
}

/** Checks a string option against its allowed values (house rule 6). */
export function checkStringUnion<T extends string>(
    value: unknown, allowed: readonly T[], argName: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ValueError(
        `${argName} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; ` +
        `received ${JSON.stringify(value)}.`);
  }
  return value as T;
}

/** Checks that `value` is an integer >= `min`, naming the argument otherwise. */
export function checkInteger(value: unknown, argName: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ValueError(
        `${argName} must be an integer >= ${min}; received ${JSON.stringify(value)}.`);
  }
  return value;
}

/** A short description of a received value for error messages: its class or type. */
export function describeValue(value: unknown): string {
  if (value == null) {
    return String(value);
  }
  if (typeof value !== 'object') {
    return `${typeof value} ${JSON.stringify(value)}`;
  }
  return (value as {constructor?: {name?: string}}).constructor?.name ?? 'object';
}
