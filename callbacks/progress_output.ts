/**
 * Output shared by ProgressBar and progressLogger: where the text goes,
 * whether it is a terminal (one line redrawn with '\r') or a log (whole lines
 * only: pipes, CI, notebooks), and the bar, duration and number formats.
 */
import {checkInteger, describeValue, optionKeys, ValueError} from '../src/errors.js';

/** Options shared by {@link ProgressBar} and {@link progressLogger}. */
export interface ProgressOutputOptions {
  /**
   * Where text goes. Default: `process.stdout` (or `console.log` per line
   * where there is no `process`, e.g. a browser).
   */
  write?: (text: string) => void;
  /** Bar width in characters (default 30). */
  width?: number;
  /**
   * true: one line redrawn with '\r'; false: whole lines only. Default:
   * whether `process.stdout` is a TTY when `write` is not given, else false.
   */
  tty?: boolean;
  /** Text put before every line, e.g. 'QAT' or a model name. */
  label?: string;
  /** TTY mode redraws at most every this many milliseconds (default 100); ends are always drawn. */
  throttleMs?: number;
}

/** The keys of {@link ProgressOutputOptions}, for the callers' unknown-key checks. */
export const OUTPUT_OPTION_KEYS = optionKeys<ProgressOutputOptions>(
    {write: true, width: true, tty: true, label: true, throttleMs: true});

/** Checked options with their defaults. */
export interface ResolvedOutput {
  write: (text: string) => void;
  tty: boolean;
  width: number;
  /** The label and a space, or ''. */
  prefix: string;
  throttleMs: number;
  /** Terminal columns when writing to a TTY stdout (lines are cut to fit). */
  columns?: number;
}

/** Checks a finite number >= `min`, naming the argument otherwise. */
export function checkNumber(value: unknown, argName: string, min: number): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min) {
    throw new ValueError(`${argName} must be a number >= ${min}; received ${describeValue(value)}.`);
  }
  return value;
}

/** Validates the shared options (`who` names the caller in errors) and fills in defaults. */
export function resolveOutput(options: ProgressOutputOptions|undefined, who: string): ResolvedOutput {
  if (options != null && typeof options !== 'object') {
    throw new ValueError(`${who}: options must be an object; received ${describeValue(options)}.`);
  }
  const {write, width = 30, tty, label, throttleMs = 100} = options ?? {};
  if (write != null && typeof write !== 'function') {
    throw new ValueError(`${who}: write must be a function (text: string) => void; ` +
        `received ${describeValue(write)}.`);
  }
  if (tty != null && typeof tty !== 'boolean') {
    throw new ValueError(`${who}: tty must be a boolean; received ${describeValue(tty)}.`);
  }
  if (label != null && typeof label !== 'string') {
    throw new ValueError(`${who}: label must be a string; received ${describeValue(label)}.`);
  }
  checkInteger(width, `${who}: width`, 1);
  checkNumber(throttleMs, `${who}: throttleMs`, 0);
  const prefix = label ? `${label} ` : '';
  if (write != null) {
    return {write, tty: tty ?? false, width, prefix, throttleMs};
  }
  const stdout = typeof process !== 'undefined' ? process.stdout : undefined;
  if (stdout == null) {
    // No stream to redraw on: whole lines through console.log.
    return {write: (text) => console.log(text.replace(/\n$/, '')), tty: false, width, prefix, throttleMs};
  }
  const useTty = tty ?? stdout.isTTY === true;
  // Looked up per call: notebook kernels (tslab) replace process.stdout.write.
  return {write: (text) => void process.stdout.write(text), tty: useTty, width, prefix, throttleMs,
    columns: useTty && stdout.isTTY ? stdout.columns : undefined};
}

/**
 * Writes progress lines. In TTY mode `redraw` replaces the current line
 * (padding over what was longer) and `finish` ends it with a newline;
 * otherwise every call prints a whole line.
 */
export class LineWriter {
  /** Length of the line left open by redraw, or -1. */
  private openLength = -1;

  constructor(private readonly out: ResolvedOutput) {}

  /** TTY: draws `text` over the current line, leaving it open. Otherwise prints it as a line. */
  redraw(text: string): void {
    if (!this.out.tty) {
      this.out.write(`${text}\n`);
      return;
    }
    const line = this.fit(text);
    this.out.write(`\r${line.padEnd(this.openLength)}`);
    this.openLength = line.length;
  }

  /** Prints `text` as a finished line (over the open one in TTY mode). */
  finish(text: string): void {
    const line = this.fit(text);
    this.out.write(this.openLength >= 0 ? `\r${line.padEnd(this.openLength)}\n` : `${line}\n`);
    this.openLength = -1;
  }

  /** Ends a line left open (a stage or epoch that stopped early). */
  close(): void {
    if (this.openLength >= 0) {
      this.out.write('\n');
      this.openLength = -1;
    }
  }

  /** Cuts the line to the terminal so '\r' can still return to its start. */
  private fit(text: string): string {
    const columns = this.out.columns;
    return columns != null && columns > 1 && text.length >= columns ? text.slice(0, columns - 1) : text;
  }
}

/** `[=====>....]` for a fraction in [0, 1]. */
export function bar(fraction: number, width: number): string {
  const filled = Math.min(width, Math.max(0, Math.floor(fraction * width)));
  const head = filled < width ? '>' : '';
  return `[${'='.repeat(filled)}${head}${'.'.repeat(Math.max(0, width - filled - head.length))}]`;
}

/** 0.42s, 12.3s, 2m05s, 1h02m. */
export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (!Number.isFinite(s)) {
    return '?';
  }
  if (s < 10) {
    return `${s.toFixed(2)}s`;
  }
  if (s < 60) {
    return `${s.toFixed(1)}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  }
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** 'ETA 1.52s' from the time `done` units took, or just that time while the total or rate is unknown. */
export function etaText(elapsedMs: number, done: number, total: number|undefined): string {
  return total != null && Number.isFinite(total) && done > 0 ?
      `ETA ${formatDuration(elapsedMs / done * (total - done))}` : formatDuration(elapsedMs);
}

/** A metric as Keras prints it: 4 decimals, or 4 significant digits in exponent form below 1e-3. */
export function formatValue(v: number): string {
  return v === 0 || Math.abs(v) >= 1e-3 || !Number.isFinite(v) ? v.toFixed(4) : v.toExponential(4);
}

/** The time source for ETAs and throttling. */
export function now(): number {
  return performance.now();
}
