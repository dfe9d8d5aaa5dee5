/**
 * Training backend selection (`init`) and the wasm gradient kernels that
 * make training on tfjs-backend-wasm possible.
 */
export {init, VALID_BACKENDS} from './init.js';
export type {BackendName, InitOptions} from './init.js';
export {registerWasmTrainingKernels} from './register.js';
export type {WasmTrainingKernelOptions} from './register.js';
