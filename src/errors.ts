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
        `received ${formatValue(value)}.`);
  }
  return value as T;
}

/** Checks that `value` is an integer >= `min`, naming the argument otherwise. */
export function checkInteger(value: unknown, argName: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ValueError(
        `${argName} must be an integer >= ${min}; received ${formatValue(value)}.`);
  }
  return value;
}

/** A short description of a received value for error messages: its class or type. */
export function describeValue(value: unknown): string {
  if (value == null) {
    return String(value);
  }
  if (typeof value !== 'object') {
    return typeof value === 'function' ? 'function' : `${typeof value} ${formatValue(value)}`;
  }
  return (value as {constructor?: {name?: string}}).constructor?.name ?? 'object';
}

/**
 * A received value as it should read in a message: numbers as JavaScript
 * prints them (NaN, Infinity and -0 stay visible, where JSON would print
 * null or 0), strings quoted, arrays and plain objects element by element.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') {
    return Object.is(value, -0) ? '-0' : String(value);
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'bigint') {
    return `${value}n`;
  }
  if (Array.isArray(value)) {
    return `[${value.map(formatValue).join(', ')}]`;
  }
  if (value == null || typeof value === 'boolean') {
    return String(value);
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return `{${Object.entries(value).map(([k, v]) => `${k}: ${formatValue(v)}`).join(', ')}}`;
  }
  return describeValue(value);
}

/**
 * The exact key list of an options interface, checked by the compiler both
 * ways (a key missing from the interface or from the list does not compile):
 * `optionKeys<PruneParams>({pruningSchedule: true, ...})`.
 */
export function optionKeys<T>(keys: {[K in keyof Required<T>]: true}): ReadonlyArray<keyof T & string> {
  return Object.keys(keys) as Array<keyof T & string>;
}

/** `pruning_schedule` -> `pruningSchedule`. */
function camelCase(key: string): string {
  return key.replace(/_+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

/** Edit distance of two short strings (insert, delete, substitute, swap of neighbours). */
function editDistance(a: string, b: string): number {
  const d = Array.from({length: a.length + 1}, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) {
    d[0][j] = j;
  }
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The allowed key an unknown one was probably meant to be: its camelCase
 * form (Python's spelling), the same letters in another case, or a near
 * miss of at most two edits (one for keys of 4 to 6 letters, none for
 * shorter ones); null if none is close.
 */
export function suggestKey(key: string, allowed: readonly string[]): string|null {
  const camel = camelCase(key);
  const folded = camel.toLowerCase();
  const exact = allowed.find((a) => a === camel || a.toLowerCase() === folded);
  if (exact != null) {
    return exact;
  }
  // Short keys are a few edits from anything: only long ones get a near-miss hint.
  const limit = key.length <= 3 ? 0 : key.length <= 6 ? 1 : 2;
  let best: string|null = null;
  let bestDistance = limit + 1;
  for (const a of allowed) {
    const distance = editDistance(folded, a.toLowerCase());
    if (distance < bestDistance) {
      best = a;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Checks that an options object has only the keys `allowed`, so a misspelt
 * or Python-spelt option (`pruning_schedule`) fails instead of silently
 * taking its default. `undefined` and `null` pass (no options given).
 *
 * @param where The function or class the options are for, e.g.
 *     'pruneLowMagnitude params'; starts the message.
 * @throws ValueError naming the first unknown key, the key it was probably
 *     meant to be, and the allowed keys; or if `options` is not an object.
 */
export function checkOptionKeys(options: unknown, allowed: readonly string[], where: string): void {
  if (options == null) {
    return;
  }
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${where}: expects an object {${allowed.join(', ')}}; ` +
        `received ${describeValue(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      const hint = suggestKey(key, allowed);
      throw new ValueError(`${where}: unknown option '${key}'` +
          (hint != null ? ` (did you mean ${hint}?)` : '') +
          `; allowed options are ${allowed.length > 0 ? allowed.join(', ') : 'none'}.`);
    }
  }
}
