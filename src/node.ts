/**
 * The Node.js entry of tfjs-model-optimization: everything the default
 * (browser-safe) entry exports, plus the Node implementations of file IO,
 * TensorBoard event files, the MNIST loader and LiteRT in a worker thread.
 * Node resolves `import 'tfjs-model-optimization'` here; it is also
 * importable by name as 'tfjs-model-optimization/node'.
 *
 * @packageDocumentation
 */
export * from './index.js';

// Each import installs Node-only implementations into src/platform.ts.
import './io/file_system_node.js';
import './summary/file_writer_node.js';
import './data/mnist_node.js';
import './tflite/litert_node_host.js';
