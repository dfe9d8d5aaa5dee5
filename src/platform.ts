/**
 * Node-only implementations, installed by the Node entry (src/node.ts).
 *
 * The package's default entry (src/index.ts) is what browsers and bundlers
 * get: it must import no `node:*` module, directly or through any file it
 * imports. The few features that need Node (reading and writing files,
 * worker threads) are reached through this registry instead: `src/node.ts`
 * installs them when imported (Node resolves the package's "." export to
 * it), and in a browser a call to one fails with an error naming the entry
 * to import and the browser alternative.
 */
import {NotSupportedError} from './errors.js';

/** The implementations only Node has, by name. Each feature's module declares its own entry's type. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface NodeHooks {}

const installed = new Map<keyof NodeHooks, unknown>();

/** Installs a Node implementation (called by src/node.ts and the modules it imports). */
export function installNodeHook<K extends keyof NodeHooks>(name: K, implementation: NodeHooks[K]): void {
  installed.set(name, implementation);
}

/** True if the Node entry installed `name`. */
export function hasNodeHook(name: keyof NodeHooks): boolean {
  return installed.has(name);
}

/**
 * The Node implementation `name`, or a NotSupportedError saying that
 * `feature` needs Node and what to use instead (`browserAlternative`).
 */
export function nodeHook<K extends keyof NodeHooks>(name: K, feature: string,
    browserAlternative: string): NodeHooks[K] {
  if (!installed.has(name)) {
    throw new NotSupportedError(
        `${feature} needs Node.js. In Node, import the package as 'tfjs-model-optimization' (Node resolves it ` +
        `to its Node entry) or 'tfjs-model-optimization/node'; this copy was loaded from the browser entry. ` +
        `In a browser, ${browserAlternative}`);
  }
  return installed.get(name) as NodeHooks[K];
}

/** True when running under Node.js (not a browser page or web worker). */
export function isNode(): boolean {
  const p = (globalThis as {process?: {versions?: {node?: string}}}).process;
  return typeof p?.versions?.node === 'string';
}
