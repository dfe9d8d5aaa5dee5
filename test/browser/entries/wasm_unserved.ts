// init({backend: 'wasm'}) in a page without wasmPaths: the .wasm files are not where tfjs looks, and the error says
// what to serve and pass.
import {init} from '../../../src/backend/index.js';
import {runInPage} from '../../helpers/browser_entry.js';

runInPage(async () => init({backend: 'wasm'}).then((name) => `started ${name}`, (e: Error) => e.message));
