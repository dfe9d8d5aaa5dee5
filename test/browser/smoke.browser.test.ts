/**
 * The package's default entry in real Chromium (test/helpers/browser.ts):
 * it bundles with esbuild for the browser with no externals, `backend.init()`
 * picks webgl there, wasm starts from served .wasm files (`wasmPaths`) with
 * this library's gradient kernels and fake-quant kernel, and the Interpreter
 * says timeoutMs cannot be enforced in a browser.
 */
import {describe, expect, it} from 'vitest';

import {runInBrowser} from '../helpers/browser.js';

interface Smoke {
  picked: string;
  wasm: string;
  webglLoss: number;
  wasmLoss: number;
  fakeQuantValues: number[]|null;
  timeoutError: string;
  kernels: string[];
  exports: string[];
}

describe('the default entry in Chromium', () => {
  it('imports, picks webgl, trains on webgl and wasm with the library kernels, rejects timeoutMs', async () => {
    const {value} = await runInBrowser<Smoke>({entry: 'test/browser/entries/smoke.ts'});
    expect(value.picked).toBe('webgl');
    expect(value.wasm).toBe('wasm');
    expect(value.exports).toEqual(expect.arrayContaining(['backend', 'quantization', 'sparsity', 'clustering',
      'tflite']));
    // The same seeded step on both backends (float32 rounding apart).
    expect(Number.isFinite(value.webglLoss)).toBe(true);
    expect(value.wasmLoss).toBeCloseTo(value.webglLoss, 5);
    expect(value.kernels).toHaveLength(4);
    // Our fake-quant kernel ran (null would mean the generic fallback): values snap to the 2/255 grid in [-1, 1].
    expect(value.fakeQuantValues).not.toBeNull();
    value.fakeQuantValues!.forEach((v, i) => expect(v).toBeCloseTo([-1, 0.25, 0.5, 1][i], 2));
    expect(value.timeoutError).toMatch(/^NotSupportedError: Interpreter.create: options.timeoutMs cannot be enforced here: in a browser LiteRT runs in the calling thread/);
  });

  it('names wasmPaths when the wasm backend cannot find its .wasm files', async () => {
    const {value, console} = await runInBrowser<string>({entry: 'test/browser/entries/wasm_unserved.ts',
      allowMissing: [/\.wasm$/], allowConsole: [/^error: Failed to load resource: .* 404 \(Not Found\)$/]});
    expect(console).toContain('warning: Initialization of backend wasm failed');
    expect(value).toMatch(/^init: backend 'wasm' could not be started: .*\(in a browser, serve node_modules\/@tensorflow\/tfjs-backend-wasm\/dist\/\*\.wasm and pass their folder's URL as options\.wasmPaths\)/);
  });
});
