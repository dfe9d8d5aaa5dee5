/**
 * Browser bundle size: what a web app adds by importing the package. esbuild
 * bundles a one-line app for the browser (minified, ESM, no externals, so
 * tfjs-core, tfjs-layers and the backends are inside) from dist/, as a
 * bundler resolves the package's default entry.
 */
import {existsSync, readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';

import {build, type Plugin} from 'esbuild';

import type {BenchRow, BenchSection} from './report.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));
/** What package.json's exports give a bundler's browser conditions (test/packaging checks the map). */
const DEFAULT_ENTRY = join(REPO, 'dist', 'src', 'index.js');

const fromDist: Plugin = {
  name: 'package-from-dist',
  setup(b) {
    b.onResolve({filter: /^tfjs-model-optimization$/}, () => ({path: DEFAULT_ENTRY}));
  },
};

/** Minified bytes and gzipped bytes of a browser bundle of `app`. */
async function bundle(app: string): Promise<{raw: number, gzipped: number}> {
  const result = await build({
    stdin: {contents: app, resolveDir: REPO, loader: 'js'},
    bundle: true, platform: 'browser', format: 'esm', minify: true, write: false, logLevel: 'silent',
    plugins: [fromDist],
  });
  const code = result.outputFiles[0].contents;
  return {raw: code.length, gzipped: gzipSync(code, {level: 6}).length};
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

export async function bundleSize(): Promise<BenchSection> {
  if (!existsSync(DEFAULT_ENTRY)) {
    throw new Error(`bundle_size measures dist/: ${DEFAULT_ENTRY} is missing; run \`npm run build\` first.`);
  }
  // Each app keeps the whole namespace (nothing tree-shaken away), as a page using most of the API would.
  const apps: Array<[string, string]> = [
    ['tfjs-model-optimization', `import * as tfmot from 'tfjs-model-optimization'; globalThis.app = tfmot;`],
    ['@tensorflow/tfjs alone (reference)', `import * as tf from '@tensorflow/tfjs'; globalThis.app = tf;`],
    ['tfjs-model-optimization + @tensorflow/tfjs', `import * as tf from '@tensorflow/tfjs'; ` +
      `import * as tfmot from 'tfjs-model-optimization'; globalThis.app = {tf, tfmot};`],
  ];
  const rows: BenchRow[] = [];
  const sizes = new Map<string, {raw: number, gzipped: number}>();
  for (const [name, app] of apps) {
    const size = await bundle(app);
    sizes.set(name, size);
    rows.push({name: `${name}, minified`, value: size.raw, unit: 'bytes', note: kib(size.raw)});
    rows.push({name: `${name}, minified + gzip`, value: size.gzipped, unit: 'bytes', note: kib(size.gzipped)});
  }
  const both = sizes.get(apps[2][0])!;
  const umbrella = sizes.get(apps[1][0])!;
  rows.push({name: 'Added to a @tensorflow/tfjs app, minified + gzip', value: both.gzipped - umbrella.gzipped,
    unit: 'bytes', note: `${kib(both.gzipped - umbrella.gzipped)}: the package and what the umbrella lacks ` +
      '(the wasm backend, fflate, flatbuffers, seedrandom)'});
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const wasm = readFileSync(join(wasmDir, 'dist', 'tfjs-backend-wasm-simd.wasm'));
  rows.push({name: 'tfjs-backend-wasm-simd.wasm (fetched at run time, not in the bundle)', value: wasm.length,
    unit: 'bytes', note: `${kib(wasm.length)}; gzip ${kib(gzipSync(wasm, {level: 6}).length)}`});
  return {
    title: 'Browser bundle size',
    description:
        'esbuild (`--bundle --platform=browser --format=esm --minify`, no externals) of a one-line app that ' +
        'imports the package\'s default entry (dist/src/index.js) and keeps its whole namespace, so tfjs-core, ' +
        'tfjs-layers, the cpu, webgl and wasm backends, the LiteRT.js loader and every technique are in the bundle; the same with the ' +
        'umbrella `@tensorflow/tfjs` (adds tfjs-converter and tfjs-data), and the umbrella ' +
        'alone for reference. Gzip is node:zlib at level 6.',
    rows,
  };
}
