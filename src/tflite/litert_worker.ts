/**
 * The worker thread that runs Google's LiteRT.js (`@litertjs/core`) for
 * `Interpreter` in Node. LiteRT runs here rather than in the caller's thread
 * because a hostile or corrupt file can trap its WebAssembly instance, after
 * which every call spins forever: the host (litert_loader.ts) then throws
 * this worker away, and a stuck call can be stopped at all only from another
 * thread.
 *
 * LiteRT.js is browser-first: its loader fetches its Emscripten glue with
 * `importScripts`. We provide that global (evaluating the glue as CommonJS via
 * node:vm) and route the runtime's print/printErr output to the call's log;
 * the calls themselves are litert_runtime.ts's.
 */
import fs from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import {parentPort} from 'node:worker_threads';

import type {LiteRt} from '@litertjs/core';

import type {TfliteTypedArray, WorkerRequest} from './litert_protocol.js';
import {LiteRtRuntime} from './litert_runtime.js';

async function loadLiteRtForNode(print: (line: string) => void): Promise<LiteRt> {
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve('@litertjs/core/package.json');
  } catch {
    throw new Error('tfmot.tflite.Interpreter runs models in LiteRT.js, an optional peer dependency that is not ' +
        'installed: npm install @litertjs/core');
  }
  const wasmDir = path.join(path.dirname(packageJson), 'wasm') + path.sep;
  const global = globalThis as Record<string, unknown>;
  global.self ??= globalThis;
  // What the browser loader calls to run the glue script: evaluate it as the CommonJS module it also is.
  global.importScripts = (file: string) => {
    const module = {exports: {} as unknown};
    const glue = vm.compileFunction(fs.readFileSync(file, 'utf8'),
        ['require', '__dirname', '__filename', 'module', 'exports'], {filename: file});
    glue(require, path.dirname(file), file, module, module.exports);
    global.ModuleFactory = module.exports;
  };
  // Read by the loader as the Emscripten module's settings: route the runtime's output to the call's log.
  global.Module = {print, printErr: print};
  // Environment.create() probes WebGPU and warns once that `navigator` is missing: keep that in the log.
  console.warn = (...args: unknown[]) => print(args.map(String).join(' '));
  const {loadLiteRt} = await import('@litertjs/core');
  return await loadLiteRt(wasmDir);
}

const runtime = new LiteRtRuntime(loadLiteRtForNode);

parentPort!.on('message', (request: WorkerRequest) => {
  void runtime.handle(request).then((reply) => {
    // Outputs are fresh copies out of the heap: hand them over rather than copy them again.
    const outputs = request.op === 'run' && reply.ok ? (reply.value as TfliteTypedArray[][]).flat() : [];
    parentPort!.postMessage(reply, outputs.map((o) => o.buffer as ArrayBuffer));
  });
});
