/**
 * `tfmot.backend`: training backend selection and the wasm gradient
 * kernels that make training on tfjs-backend-wasm possible.
 *
 * `init()` picks the fastest backend that starts here. In Node: tfjs-node
 * ('tensorflow') if installed, otherwise wasm with this library's kernels
 * (conv2d and depthwise filter gradients, embedding gradients and a faster
 * conv2d input gradient, which tfjs-backend-wasm 4.22 lacks or runs
 * slowly), otherwise the pure-JS 'cpu' backend. In a browser: 'webgpu' (if
 * imported), 'webgl', then wasm (with `wasmPaths`) and 'cpu'. Call it once
 * before training.
 *
 * ```ts
 * const name = await tfmot.backend.init();  // 'tensorflow', 'wasm' or 'cpu'; 'webgl' in a browser
 * ```
 *
 * @packageDocumentation
 */
export {init, VALID_BACKENDS} from './init.js';
export type {BackendName, InitOptions} from './init.js';
export {registerWasmTrainingKernels} from './register.js';
export type {WasmTrainingKernelOptions} from './register.js';
