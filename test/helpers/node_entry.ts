/**
 * vitest setupFiles: every test file runs with the package's Node entry
 * loaded, as `import 'tfjs-model-optimization'` is in Node, so the Node-only
 * implementations (file IO, event files, MNIST files) are installed.
 */
import '../../src/node.js';
