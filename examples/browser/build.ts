/**
 * Builds the browser demo (examples/browser/) and serves it on localhost:
 *
 *   npm run demo:browser                 # build into examples/browser/dist/ and serve on :8080
 *   npm run demo:browser -- --port 9000  # another port (0: any free one)
 *   npm run demo:browser -- --no-serve   # build only
 *
 * The build bundles the page and its worker with esbuild for the browser (no
 * externals, no Node polyfills: the library's browser entry), copies the
 * wasm files of tfjs-backend-wasm and LiteRT.js next to them, and writes a
 * seeded pick of MNIST digits from the `mnist` package as one binary file.
 * Tests call `buildDemo` and `serveDemo` directly.
 */
import {copyFileSync, cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:http';
import type {AddressInfo} from 'node:net';
import {createReadStream} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, extname, join, resolve, sep} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import * as esbuild from 'esbuild';

import * as tfmot from '../../src/node.js';
import {encodeMnistSubset} from './mnist_subset.js';
import {BUNDLED} from './settings.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');

/** Options of `buildDemo`. */
export interface BuildOptions {
  /** Where to write the site; emptied first. Default examples/browser/dist. */
  outDir?: string;
  /** Minify the bundles (default true). */
  minify?: boolean;
}

/** What `buildDemo` wrote. */
export interface BuiltDemo {
  outDir: string;
  /** Bytes of each file at the top of outDir (page.js, worker.js, mnist_subset.bin, ...). */
  sizes: Record<string, number>;
  /** Wall time of the build, ms. */
  ms: number;
}

/** The digits the page trains and tests on: the same seeded split as `tfmot.data.loadMnist` in Node. */
async function writeMnistSubset(file: string): Promise<void> {
  await tf.ready();
  const {train, test} = tfmot.data.loadMnist({numTrain: BUNDLED.train, numTest: BUNDLED.test, seed: BUNDLED.seed});
  const arrays = (split: tfmot.data.MnistSplit) =>
    ({pixels: split.xs.dataSync() as Float32Array, labels: split.ys.dataSync() as Int32Array});
  writeFileSync(file, encodeMnistSubset({seed: BUNDLED.seed, train: arrays(train), test: arrays(test)}));
  tf.dispose([train.xs, train.ys, test.xs, test.ys]);
}

/** Builds the demo site into `outDir`. */
export async function buildDemo({outDir = join(HERE, 'dist'), minify = true}: BuildOptions = {}): Promise<BuiltDemo> {
  const start = performance.now();
  rmSync(outDir, {recursive: true, force: true});
  mkdirSync(outDir, {recursive: true});
  await esbuild.build({
    entryPoints: {page: join(HERE, 'src/page.ts'), worker: join(HERE, 'src/worker.ts')},
    outdir: outDir,
    bundle: true,
    platform: 'browser',
    // Classic scripts: LiteRT.js loads its Emscripten glue with importScripts, which module workers lack.
    format: 'iife',
    target: 'es2022',
    minify,
    sourcemap: true,
    // The page imports the package by name, as an app would; here that is this repository's browser entry.
    alias: {'tfjs-model-optimization': join(ROOT, 'src/index.ts')},
    logLevel: 'warning',
  });
  copyFileSync(join(HERE, 'index.html'), join(outDir, 'index.html'));
  const require = createRequire(import.meta.url);
  const tfjsWasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  mkdirSync(join(outDir, 'tfjs-wasm'));
  for (const file of readdirSync(join(tfjsWasmDir, 'dist')).filter((f) => f.endsWith('.wasm'))) {
    copyFileSync(join(tfjsWasmDir, 'dist', file), join(outDir, 'tfjs-wasm', file));
  }
  const liteRtDir = dirname(require.resolve('@litertjs/core/package.json'));
  cpSync(join(liteRtDir, 'wasm'), join(outDir, 'litert'), {recursive: true});
  await writeMnistSubset(join(outDir, 'mnist_subset.bin'));
  const sizes = Object.fromEntries(readdirSync(outDir).filter((f) => statSync(join(outDir, f)).isFile())
      .map((f) => [f, statSync(join(outDir, f)).size]));
  return {outDir, sizes, ms: Math.round(performance.now() - start)};
}

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  // Needed for WebAssembly.instantiateStreaming, which both runtimes use.
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
};

/** A running demo server. */
export interface DemoServer {
  /** http://localhost:PORT/ */
  url: string;
  close(): Promise<void>;
}

/** Serves `dir` on localhost (`port` 0 picks a free one). */
export function serveDemo(dir: string, port = 8080): Promise<DemoServer> {
  const root = resolve(dir);
  const server = createServer((request, response) => {
    let path = request.url ?? '/';
    let size = -1;
    let file = '';
    try {
      path = decodeURIComponent(new URL(path, 'http://localhost').pathname);
      file = resolve(root, `.${path.endsWith('/') ? `${path}index.html` : path}`);
      size = file.startsWith(root + sep) && statSync(file).isFile() ? statSync(file).size : -1;
    } catch {
      // A malformed or missing path: 404 below.
    }
    if (size < 0) {
      response.writeHead(404, {'content-type': 'text/plain'}).end(`Not found: ${path}\n`);
      return;
    }
    response.writeHead(200, {'content-type': MIME_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': size, 'cache-control': 'no-store'});
    createReadStream(file).pipe(response);
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const {port: actual} = server.address() as AddressInfo;
      resolvePromise({url: `http://localhost:${actual}/`,
        close: () => new Promise((done) => server.close(() => done()))});
    });
  });
}

async function main(args: string[]): Promise<void> {
  const portIndex = args.indexOf('--port');
  const port = portIndex >= 0 ? Number(args[portIndex + 1]) : 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be an integer in 0..65535; received '${args[portIndex + 1]}'.`);
  }
  const built = await buildDemo();
  const kb = (f: string) => `${f} ${(built.sizes[f] / 1024).toFixed(0)} KB`;
  console.log(`Built the demo in ${(built.ms / 1000).toFixed(1)} s into ${built.outDir} ` +
      `(${['page.js', 'worker.js', 'mnist_subset.bin'].map(kb).join(', ')})`);
  if (args.includes('--no-serve')) {
    return;
  }
  const server = await serveDemo(built.outDir, port);
  console.log(`Serving the demo at ${server.url} (Ctrl+C to stop)`);
}

if (process.argv[1] != null && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2));
}
