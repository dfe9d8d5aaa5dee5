/**
 * The `tfjs-model-optimization` command line: `inspect` a .tflite file and
 * `convert` a saved tfjs LayersModel to one. `runCli` does the work and
 * returns the exit code (0 done, 1 failed, 2 bad usage), writing through
 * the given streams, so tests can call it in-process; main.ts is the
 * executable.
 */
import {lstat, realpath, stat} from 'node:fs/promises';
import {dirname, join, resolve} from 'node:path';
import {parseArgs} from 'node:util';

import * as tfl from '@tensorflow/tfjs-layers';

import {init} from '../backend/init.js';
import {ValueError} from '../errors.js';
import {fileSystem} from '../io/file_system.js';
import '../io/file_system_node.js';  // installs fileSystem's disk access
import {errnoCode, ioError, makeDirectories, readRegularFile, writeFileAtomic} from '../io/safe_fs.js';
import {ConversionMode, TFLiteConverter} from '../tflite/converter.js';
import {formatSummary, inspect} from '../tflite/inspect.js';
import {isQatModel} from '../quantization/quantize_apply.js';

export const PROGRAM = 'tfjs-model-optimization';

/** Largest .tflite file `inspect` reads unless `--max-bytes` raises it: 1 GiB. */
export const MAX_INSPECT_BYTES = 2 ** 30;

export const USAGE = `Usage:
  ${PROGRAM} inspect <file.tflite> [--max-bytes <n>]
  ${PROGRAM} convert <model.json | model dir> --out <file.tflite> [--force]
      [--float16 | --dynamic | --float32]
  ${PROGRAM} --help

Commands:
  inspect   Print a .tflite file's operators, tensors, quantization and
            buffer sizes.
  convert   Convert a tfjs LayersModel saved as model.json + its weights
            (model.save(tfmot.io.fileSystem(dir)), or tfjs-node's file://)
            to a TFLite file that LiteRT (TensorFlow Lite) runs.

Inspect options:
  --max-bytes <n>   Refuse files larger than n bytes (default ${MAX_INSPECT_BYTES},
                    1 GiB). Only regular files are read: no FIFO or device.

Convert options:
  -o, --out <file>  The .tflite file to write (required). Written to a
                    temporary file beside it, then renamed into place: a
                    failed run leaves no partial file. Never one of the
                    model's own files, whatever the spelling or symlink.
  -f, --force       Replace --out if it exists (without it, an existing
                    file is refused).
  (no mode flag)    float32 for a float model. A QAT model (one made by
                    tfmot.quantization.quantizeModel, with QuantizeWrapper
                    layers) converts to full int8 using the ranges it
                    learned, with float32 input and output.
  --float16         float16 weights (about half the size), float compute.
  --dynamic         Dynamic range quantization: int8 weights, float
                    activations (about a quarter of the size). Float models
                    only.
  --float32         float32 even for a QAT model.

  Post-training int8 quantization of a float model needs calibration
  samples: use the TFLiteConverter API with a representativeDataset.

Exit status: 0 done, 1 failed (the message says why), 2 bad usage.
`;

/** Where the CLI writes; defaults to the process's streams. */
export interface CliStreams {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const PROCESS_STREAMS: CliStreams = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** A bad command line: reported with the usage text and exit code 2. */
class UsageError extends Error {}

const MODE_DESCRIPTIONS: Record<ConversionMode, string> = {
  float32: 'float32 weights and compute',
  float16: 'float16 weights, float32 compute',
  dynamicRange: 'dynamic range: int8 weights, float32 activations',
  int8: 'full int8 from the QAT model\'s learned ranges, float32 input/output',
  int16x8: 'int16 activations, int8 weights',
};

/**
 * Runs the command line `args` (without `node` and the script) and returns
 * the exit code. Never throws for bad input: errors are printed as one
 * message without a stack trace.
 */
export async function runCli(args: readonly string[], streams: CliStreams = PROCESS_STREAMS): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command == null || command === '--help' || command === '-h' || command === 'help') {
      streams.stdout(USAGE);
      return 0;
    }
    if (command === 'inspect') {
      return await inspectCommand(rest, streams);
    }
    if (command === 'convert') {
      return await convertCommand(rest, streams);
    }
    throw new UsageError(command.startsWith('-') ? `unknown option '${command}'` : `unknown command '${command}'`);
  } catch (e) {
    if (e instanceof UsageError) {
      streams.stderr(`${PROGRAM}: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    streams.stderr(`${PROGRAM}: error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

/** parseArgs with unknown options and missing values reported as usage errors. */
function parse<T extends NonNullable<Parameters<typeof parseArgs>[0]>['options']>(args: readonly string[], options: T) {
  try {
    return parseArgs({args: [...args], options: {...options, help: {type: 'boolean', short: 'h'}},
      allowPositionals: true, strict: true});
  } catch (e) {
    // ERR_PARSE_ARGS_UNKNOWN_OPTION, ERR_PARSE_ARGS_INVALID_OPTION_VALUE, ...
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
}

async function inspectCommand(args: readonly string[], streams: CliStreams): Promise<number> {
  const {values, positionals} = parse(args, {'max-bytes': {type: 'string'}});
  if (values.help) {
    streams.stdout(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`inspect takes one .tflite file; received ${positionals.length} arguments`);
  }
  const maxBytes = parseMaxBytes(values['max-bytes'] as string|undefined);
  const bytes = await readRegularFile(positionals[0], {maxBytes, raise: 'raise it with --max-bytes'});
  streams.stdout(formatSummary(inspect(bytes)) + '\n');
  return 0;
}

/** --max-bytes: a positive whole number of bytes, MAX_INSPECT_BYTES when absent. */
function parseMaxBytes(value: string|undefined): number {
  if (value == null) {
    return MAX_INSPECT_BYTES;
  }
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--max-bytes takes a whole number of bytes >= 1; received '${value}'`);
  }
  return n;
}

async function convertCommand(args: readonly string[], streams: CliStreams): Promise<number> {
  const {values, positionals} = parse(args, {
    out: {type: 'string', short: 'o'},
    force: {type: 'boolean', short: 'f'},
    float16: {type: 'boolean'},
    dynamic: {type: 'boolean'},
    float32: {type: 'boolean'},
  });
  if (values.help) {
    streams.stdout(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`convert takes one model (model.json or its directory); received ${
      positionals.length} arguments`);
  }
  const out = values.out as string|undefined;
  if (out == null || out === '') {
    throw new UsageError('convert needs --out <file.tflite>');
  }
  const modes = (['float16', 'dynamic', 'float32'] as const).filter((m) => values[m] === true);
  if (modes.length > 1) {
    throw new UsageError(`choose one of --float16, --dynamic, --float32; received ${
      modes.map((m) => `--${m}`).join(' and ')}`);
  }
  const requested = modes[0];

  const outPath = resolve(out);
  await checkOutput(outPath, positionals[0], values.force === true);

  await init();
  const model = await loadModel(positionals[0]);
  try {
    const qat = isQatModel(model);
    if (qat && requested === 'dynamic') {
      throw new Error('--dynamic applies to float models; this is a QAT model, which converts to full int8 ' +
          '(the default), --float16 or --float32');
    }
    const converter = TFLiteConverter.fromLayersModel(model);
    if (requested === 'float16') {
      converter.optimizations = ['DEFAULT'];
      converter.targetSpec.supportedTypes = ['float16'];
    } else if (requested === 'dynamic' || (requested == null && qat)) {
      converter.optimizations = ['DEFAULT'];
    }
    const mode = converter.mode();
    const bytes = await converter.convert();
    await makeDirectories(dirname(outPath), out);
    await writeFileAtomic(outPath, bytes);
    const weightBytes = model.countParams() * 4;
    // A model without parameters (only reshapes, activations, ...) has no size to compare with.
    const comparison = weightBytes === 0 ? `the ${qat ? 'QAT ' : ''}model has no parameters` :
        `${(bytes.length / weightBytes).toFixed(3)}x the ${qat ? 'QAT ' : ''}model's ${weightBytes} bytes of ` +
        'float32 parameters';
    streams.stdout(`Wrote ${out} (${mode}: ${MODE_DESCRIPTIONS[mode]}): ${bytes.length} bytes, ${comparison}.\n`);
    return 0;
  } finally {
    model.dispose();
  }
}

/** Longest error detail printed from a loader message (tfjs can quote a whole model config). */
const MAX_DETAIL_CHARS = 200;

/** The first line of an error's message, shortened to MAX_DETAIL_CHARS. */
function firstLine(e: unknown): string {
  let line = (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();
  // "Unknown layer: X. This may be due to one of the following reasons:" introduces lines not shown.
  const lastSentence = line.lastIndexOf('. ');
  if (line.endsWith(':') && lastSentence > 0) {
    line = line.slice(0, lastSentence + 1);
  }
  return line.length > MAX_DETAIL_CHARS ? `${line.slice(0, MAX_DETAIL_CHARS - 1)}…` : line;
}

/**
 * Loads the LayersModel at `model` (model.json or its directory). Errors
 * become one line naming the file: tfjs's own span several lines (an unknown
 * layer class) or quote the whole config (a topology without class_name).
 */
async function loadModel(model: string): Promise<tfl.LayersModel> {
  const jsonPath = await modelJsonPath(model);
  try {
    return await tfl.loadLayersModel(fileSystem(model));
  } catch (e) {
    // The fileSystem handler's own errors (missing files, bad JSON, short weights) name the
    // files and are one bounded line: kept whole.
    throw new Error(e instanceof ValueError ? e.message : `cannot load the model in '${jsonPath}': ${firstLine(e)}`);
  }
}

/** model.json of a model argument: the argument itself, or model.json in that directory. */
async function modelJsonPath(model: string): Promise<string> {
  const info = await stat(model).catch(() => null);
  return info?.isDirectory() ? join(model, 'model.json') : model;
}

/**
 * Refuses an --out that is one of the model's own files (model.json or a
 * weights file, compared by device and inode, so another spelling, a
 * symlink or a hard link is caught too), a directory, or an existing file
 * without --force. Runs before the model is loaded: a refused run costs
 * nothing.
 */
async function checkOutput(outPath: string, model: string, force: boolean): Promise<void> {
  try {
    await lstat(outPath);
  } catch (e) {
    // ENOTDIR: a parent is a file, which creating the directories reports.
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') {
      return;
    }
    throw ioError('write', outPath, e);
  }
  // A dangling symlink has no target to compare; it is replaced like any existing --out.
  const target = await stat(outPath).catch(() => null);
  if (target != null) {
    for (const input of await fileSystem(model).inputFiles()) {
      const info = await stat(input).catch((e: unknown) => {
        throw ioError('read', input, e);
      });
      if (info.dev === target.dev && info.ino === target.ino) {
        const spelled = input === outPath ? '' : ` ('${outPath}' is '${await realpath(outPath)}')`;
        throw new Error(`refusing to write '${outPath}': it is the model's own file '${input}'${spelled}; ` +
            'convert never overwrites its input, even with --force. Choose another --out.');
      }
    }
    if (target.isDirectory()) {
      throw new Error(`cannot write '${outPath}': it is a directory; --out names the .tflite file to write.`);
    }
  }
  if (!force) {
    throw new Error(`'${outPath}' already exists; pass --force to replace it.`);
  }
}
