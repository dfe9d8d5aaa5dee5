/**
 * A second Google runtime for the exported files: the TFLite Web API that
 * `@tensorflow/tfjs-tflite` ships (TensorFlow Lite of 2023 with XNNPACK, as
 * WebAssembly). LiteRT.js is the current runtime; this one is older, so a
 * file both accept also loads in apps that pin an earlier TFLite. Its
 * emscripten module runs in Node as it is: we evaluate the glue script and
 * hand it the wasm bytes, skipping the package's browser-only loader.
 */
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {compileFunction} from 'node:vm';

/** What the embind classes of the module give us (only what we use). */
interface TensorInfo {
  name: string;
  dataType: string;
  shape: string;
  data(): Float32Array|Int32Array|Int8Array|Uint8Array|Int16Array;
  delete(): void;
}

interface InfoVector {
  size(): number;
  get(i: number): TensorInfo;
  delete(): void;
}

interface ModelRunner {
  GetInputs(): InfoVector;
  GetOutputs(): InfoVector;
  Infer(): boolean;
  delete(): void;
}

interface StatusOrRunner {
  ok(): boolean;
  errorMessage(): string;
  value(): ModelRunner;
  delete(): void;
}

interface WebApiModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(pointer: number, size: number, options: object): StatusOrRunner;
  };
}

export interface TfliteWebOutput {
  name: string;
  dtype: string;
  shape: number[];
  data: Float32Array|Int32Array|Int8Array|Uint8Array|Int16Array;
}

const log: string[] = [];
let loading: Promise<WebApiModule>|undefined;

function load(): Promise<WebApiModule> {
  const wasmDir = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
  // The SIMD build without threads: Node 20 has SIMD, and one thread is all the tests need.
  const glue = readFileSync(join(wasmDir, 'tflite_web_api_cc_simd.js'), 'utf8');
  // LiteRT's loader defines a global importScripts, which would make the glue think it
  // runs in a web worker: parameters of the same names hide the globals from it.
  const factory = compileFunction(`${glue}\nreturn tflite_web_api_ModuleFactory;`, ['importScripts', 'window'])(
      undefined, undefined) as (module: object) => Promise<WebApiModule>;
  return factory({
    wasmBinary: readFileSync(join(wasmDir, 'tflite_web_api_cc_simd.wasm')),
    print: (line: string) => log.push(line),
    printErr: (line: string) => log.push(line),
  });
}

/** Lines the runtime printed that report an error (it prints INFO lines too). */
export const tfliteWebErrors = (lines: readonly string[]) => lines.filter((l) => /^ERROR\b/.test(l));

/**
 * Loads `bytes`, fills the inputs (in the subgraph's order; each typed array
 * must hold exactly the input's elements in its element type), runs once and
 * returns copies of the outputs and what the runtime printed meanwhile.
 * Throws with the runtime's message and log when it refuses the model or the
 * inference fails.
 */
export async function runTfliteWeb(bytes: Uint8Array, inputs: ArrayLike<number>[]):
    Promise<{outputs: TfliteWebOutput[], log: string[]}> {
  loading ??= load();
  const module = await loading;
  const logStart = log.length;
  const failure = (what: string) => new Error(`TFLite Web API: ${what}\n${log.slice(logStart).join('\n')}`);
  const pointer = module._malloc(bytes.length);
  module.HEAPU8.set(bytes, pointer);
  // The model must stay in the heap while the runner lives: TFLite reads the flatbuffer in place.
  const status = module.TFLiteWebModelRunner.CreateFromBufferAndOptions(pointer, bytes.length,
      {numThreads: 1, enableProfiling: false, maxProfilingBufferEntries: 1024});
  try {
    if (!status.ok()) {
      throw failure(`the model was refused: ${status.errorMessage()}`);
    }
    // value() hands the runner over (a second call returns null): each is deleted on its own.
    const runner = status.value();
    const inputInfos = runner.GetInputs();
    const outputInfos = runner.GetOutputs();
    try {
      if (inputInfos.size() !== inputs.length) {
        throw failure(`the model has ${inputInfos.size()} input(s); got ${inputs.length}`);
      }
      inputs.forEach((values, i) => {
        const info = inputInfos.get(i);
        const view = info.data();
        info.delete();
        if (view.length !== values.length) {
          throw failure(`input ${i} holds ${view.length} values; got ${values.length}`);
        }
        view.set(values);
      });
      if (!runner.Infer()) {
        throw failure('inference failed');
      }
      const outputs: TfliteWebOutput[] = [];
      for (let i = 0; i < outputInfos.size(); i++) {
        const info = outputInfos.get(i);
        outputs.push({name: info.name, dtype: info.dataType, shape: info.shape.split(',').map(Number),
          data: info.data().slice()});
        info.delete();
      }
      return {outputs, log: log.slice(logStart)};
    } finally {
      inputInfos.delete();
      outputInfos.delete();
      runner.delete();
    }
  } finally {
    status.delete();
    module._free(pointer);
  }
}
