/**
 * The browser's LiteRT host: LiteRT.js runs in the calling thread (a page or
 * a Web Worker), loaded by @litertjs/core's own loader, which runs the
 * Emscripten glue with a script tag on a page and `importScripts` in a
 * classic worker. Module workers have no working `importScripts`, so there
 * we stand in for it with a synchronous fetch and a global eval.
 *
 * A trap discards the instance and the next call loads a fresh one, as in
 * Node. A running call cannot be stopped: WebAssembly runs synchronously in
 * the caller's thread, so time limits are not available here (an explicit
 * `timeoutMs` is rejected by `Interpreter.create`). To be able to stop a
 * runaway model, run the Interpreter in a Web Worker and terminate it.
 */
import type {LiteRt} from '@litertjs/core';

import {describeValue, ValueError} from '../errors.js';
import type {WorkerCall} from './litert_protocol.js';
import {LiteRtRuntime} from './litert_runtime.js';
import {LiteRtCrash, replyValue} from './litert_host.js';
import type {LiteRtHost, RuntimeInstance} from './litert_host.js';

let wasmPath: string|undefined;

/**
 * Tells `Interpreter` where LiteRT.js's WebAssembly files are served in a
 * browser: the URL of a folder holding the files of
 * `node_modules/@litertjs/core/wasm/` (like tfjs-backend-wasm's
 * `setWasmPaths`). Required before the first `Interpreter.create` in a page
 * or Web Worker; in Node the files are found in node_modules and this is not
 * needed. Takes effect when LiteRT next loads (the first interpreter, or
 * after a crash).
 *
 * @param url The folder's URL, absolute or relative to the page (or worker
 *     script); a trailing `/` is added if missing.
 * @throws ValueError for an empty URL or one naming a .js/.wasm file instead of the folder.
 *
 * @example
 * ```ts
 * // Serve node_modules/@litertjs/core/wasm/ at /litert/, then:
 * tfmot.tflite.setLiteRtWasmPath('/litert/');
 * const interpreter = await tfmot.tflite.Interpreter.create(bytes);
 * ```
 */
export function setLiteRtWasmPath(url: string|URL): void {
  const text = url instanceof URL ? url.href : url;
  if (typeof text !== 'string' || text.length === 0) {
    throw new ValueError(`setLiteRtWasmPath: url must be a non-empty string or URL (the folder serving ` +
        `node_modules/@litertjs/core/wasm/); received ${describeValue(url)}.`);
  }
  if (/\.(js|wasm)([?#].*)?$/.test(text)) {
    throw new ValueError(`setLiteRtWasmPath: url must name the folder holding LiteRT's files, not one file; ` +
        `received '${text}'.`);
  }
  wasmPath = text.endsWith('/') ? text : `${text}/`;
}

/** Set when an instance trapped: @litertjs/core's global instance must be unloaded before the next load. */
let discardGlobal = false;

type Global = Record<string, unknown> & {location?: {href: string}};

/**
 * In a module worker `importScripts` throws: run the script through a
 * synchronous request (allowed in workers) and a global eval instead. Returns
 * the function that puts the original back.
 */
function provideImportScripts(): () => void {
  const global = globalThis as Global;
  const original = global.importScripts as ((url: string) => void)|undefined;
  if (typeof original !== 'function') {
    return () => undefined;
  }
  global.importScripts = (url: string) => {
    try {
      original.call(globalThis, url);
    } catch (e) {
      if (!(e instanceof TypeError)) {
        throw e;
      }
      // The library compiles without the DOM types: only the members used here.
      const Request = global.XMLHttpRequest as new () => {
        open(method: string, url: string, async: boolean): void, send(): void, status: number, responseText: string,
      };
      const request = new Request();
      request.open('GET', url, false);
      request.send();
      if (request.status !== 200) {
        throw new Error(`LiteRT's script ${url} could not be fetched (HTTP ${request.status}); ` +
            'check tflite.setLiteRtWasmPath');
      }
      // Indirect eval runs in global scope, as importScripts would: the glue's `var ModuleFactory` becomes global.
      (0, eval)(`${request.responseText}\n//# sourceURL=${url}`);
    }
  };
  return () => {
    global.importScripts = original;
  };
}

async function loadLiteRtInBrowser(print: (line: string) => void): Promise<LiteRt> {
  if (wasmPath == null) {
    throw new ValueError('tflite.Interpreter in a browser needs the URL of LiteRT.js\'s WebAssembly files: serve ' +
        'node_modules/@litertjs/core/wasm/ and call tfmot.tflite.setLiteRtWasmPath(url) first.');
  }
  const global = globalThis as Global;
  const base = new URL(wasmPath, global.location?.href).href;
  let core: typeof import('@litertjs/core');
  try {
    core = await import('@litertjs/core');
  } catch (e) {
    throw new Error(`tfmot.tflite.Interpreter runs models in LiteRT.js (@litertjs/core), which could not be ` +
        `imported: ${(e as Error).message}`);
  }
  const existing = core.getGlobalLiteRtPromise();
  if (existing != null) {
    if (!discardGlobal) {
      // The page loaded LiteRT itself: share that instance (its output goes where the page sent it).
      return await existing;
    }
    // Our trapped instance: drop it without calling into it (only models compiled by loadAndCompile are deleted).
    core.unloadLiteRt();
  }
  discardGlobal = false;
  // The Emscripten module's settings: where its .wasm is, and its output into the call's log (not the console).
  global.Module = {print, printErr: print, locateFile: (file: string) => base + file};
  const restore = provideImportScripts();
  // Environment.create() probes WebGPU and warns when there is none (we compile for wasm only): that warning goes
  // to the log; the page's own warnings meanwhile still reach the console.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const line = args.map(String).join(' ');
    if (/WebGPU/.test(line)) {
      print(line);
    } else {
      warn.apply(console, args);
    }
  };
  try {
    return await core.loadLiteRt(base);
  } catch (e) {
    throw new Error(`LiteRT.js could not be loaded from ${base} (set by tflite.setLiteRtWasmPath): ` +
        `${e instanceof Error ? e.message : String(e)}`);
  } finally {
    console.warn = warn;
    restore();
  }
}

/** One LiteRT instance in this thread; once `failure` is set it takes no more calls. */
class InThreadInstance implements RuntimeInstance {
  private readonly runtime = new LiteRtRuntime(loadLiteRtInBrowser);
  private nextId = 1;
  failure: string|undefined;

  async call(request: WorkerCall): Promise<unknown> {
    if (this.failure != null) {
      throw new LiteRtCrash(this.failure);
    }
    const reply = await this.runtime.handle({...request, id: this.nextId++});
    return replyValue(reply, (reason) => {
      this.failure = reason;
      discardGlobal = true;
    });
  }
}

/** LiteRT in the calling thread (page or Web Worker): traps recover, overruns cannot be stopped. */
export const browserHost: LiteRtHost = {
  start: () => new InThreadInstance(),
  stopsOverruns: false,
};
