/**
 * A general progress hook for work outside fit() (TFLite conversion and its
 * calibration): the ProgressEvent type, and progressLogger, which prints
 * such events as a bar on a terminal or as a few lines in logs.
 */
import {checkOptionKeys} from '../src/errors.js';
import {
  bar, checkNumber, etaText, formatDuration, LineWriter, now, OUTPUT_OPTION_KEYS, ProgressOutputOptions,
  resolveOutput,
} from './progress_output.js';

/**
 * One step of long-running work. Each stage starts with `done` 0 and its last
 * event has `done === total`. `total` is NaN while unknown (calibration with a
 * generator dataset learns its sample count only at the end).
 */
export interface ProgressEvent {
  /** What is running, e.g. 'lowering', 'calibrating', 'quantizing', 'writing'. */
  stage: string;
  /** Units of the stage finished so far. */
  done: number;
  /** Units in the stage (NaN while unknown). */
  total: number;
}

/** Options of {@link progressLogger}. */
export interface ProgressLoggerOptions extends ProgressOutputOptions {
  /**
   * Without a TTY: a stage still running prints a line every this many
   * milliseconds (default 10000; Infinity: only a line when each stage ends).
   */
  intervalMs?: number;
}

/**
 * An `onProgress` function that prints events: on a terminal one line per
 * stage redrawn at most every `throttleMs`; otherwise one line per finished
 * stage (plus one per `intervalMs` of a long stage). Cheap to call per item.
 *
 * ```ts
 * const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(model);
 * converter.onProgress = tfmot.callbacks.progressLogger({label: 'int8'});
 * // int8 calibrating [===========>..................] 80/200 - ETA 1.52s
 * // int8 calibrating 200/200 - 2.54s
 * ```
 */
export function progressLogger(options: ProgressLoggerOptions = {}): (event: ProgressEvent) => void {
  const out = resolveOutput(options, 'progressLogger');
  checkOptionKeys(options, [...OUTPUT_OPTION_KEYS, 'intervalMs'], 'progressLogger');
  const intervalMs = checkNumber(options.intervalMs ?? 10_000, 'progressLogger: intervalMs', 1);
  const line = new LineWriter(out);
  let stage: string|null = null;
  let stageStart = 0;
  let lastDraw = 0;

  const text = (e: ProgressEvent, time: string, withBar: boolean): string => {
    const known = Number.isFinite(e.total) && e.total > 0;
    // A one-step stage (total 1) has nothing to count.
    const count = !known ? `${e.done}` : e.total === 1 ? '' : `${e.done}/${e.total}`;
    const barText = withBar && known ? `${bar(e.done / e.total, out.width)} ` : '';
    return `${out.prefix}${e.stage} ${barText}${count}`.trimEnd() + ` - ${time}`;
  };

  return (e: ProgressEvent) => {
    const t = now();
    if (e.stage !== stage) {
      line.close();
      stage = e.stage;
      stageStart = t;
      // A terminal draws the start at once; logs wait an interval.
      lastDraw = out.tty ? -Infinity : t;
    }
    const elapsed = t - stageStart;
    if (e.done === e.total) {
      line.finish(text(e, formatDuration(elapsed), out.tty));
      stage = null;
      return;
    }
    if (t - lastDraw < (out.tty ? out.throttleMs : intervalMs)) {
      return;
    }
    lastDraw = t;
    line.redraw(text(e, etaText(elapsed, e.done, e.total), out.tty));
  };
}
