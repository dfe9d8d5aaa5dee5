/**
 * The README's install path, as a user follows it: `npm pack` this
 * repository, install the tarball with the umbrella `@tensorflow/tfjs` in a
 * new project, then
 * - a Node script importing both trains a QAT model and writes an int8 .tflite;
 * - esbuild bundles a browser file importing both (platform browser, no
 *   externals), taking the package's default entry;
 * - TypeScript type-checks a file importing both (NodeNext and Bundler).
 * Needs the npm registry for what the npm cache lacks (--prefer-offline).
 */
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

import {build} from 'esbuild';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NAME = 'tfjs-model-optimization';

const NODE_APP = `
import {writeFileSync} from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import * as tfmot from '${NAME}';

await tfmot.backend.init();
const model = tf.sequential({layers: [
  tf.layers.dense({inputShape: [4], units: 8, activation: 'relu'}),
  tf.layers.dense({units: 2}),
]});
const qat = tfmot.quantization.quantizeModel(model);
qat.compile({optimizer: 'adam', loss: 'meanSquaredError'});
const [xs, ys] = [tf.randomNormal([32, 4], 0, 1, 'float32', 1), tf.randomNormal([32, 2], 0, 1, 'float32', 2)];
await qat.fit(xs, ys, {epochs: 2, verbose: 0});
const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(qat);
converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
const bytes = await converter.convert();
writeFileSync('model_int8.tflite', bytes);
const summary = tfmot.tflite.inspect(bytes);
console.log(JSON.stringify({
  backend: tf.getBackend(),
  bytes: bytes.length,
  operators: summary.operators.map((o) => o.opName),
  kernelTypes: summary.tensors.filter((t) => t.bufferBytes > 0 && t.shape.length === 2).map((t) => t.type),
}));
`;

const BROWSER_APP = `
import * as tf from '@tensorflow/tfjs';
import * as tfmot from '${NAME}';

export async function int8Tflite() {
  await tfmot.backend.init();
  const model = tf.sequential({layers: [tf.layers.dense({inputShape: [4], units: 2})]});
  await model.save('indexeddb://model');
  const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(tfmot.quantization.quantizeModel(model));
  converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
  return new Blob([await converter.convert()]);
}
`;

const TYPED_APP = `
import * as tf from '@tensorflow/tfjs';
import * as tfmot from '${NAME}';
import * as tfmotNode from '${NAME}/node';

export async function int8(model: tf.LayersModel): Promise<Uint8Array> {
  const qat: tf.LayersModel = tfmot.quantization.quantizeModel(model);
  const handler: tf.io.IOHandler = tfmotNode.io.fileSystem('/tmp/m');
  void handler;
  const converter = tfmot.tflite.TFLiteConverter.fromLayersModel(qat);
  converter.optimizations = [tfmot.tflite.Optimize.DEFAULT];
  return converter.convert();
}
`;

/** stdout of the command; a failure shows its output. */
function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
      env: {...process.env, npm_config_loglevel: 'error'}});
  } catch (e) {
    const {stdout, stderr} = e as {stdout?: string, stderr?: string};
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

describe('install from an npm pack tarball with @tensorflow/tfjs (the README path)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tfmot-install-'));
  const project = join(root, 'app');

  beforeAll(() => {
    // npm pack runs `prepare`, which builds dist/ from this checkout.
    const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', root], REPO)) as
        Array<{filename: string, files: Array<{path: string}>}>;
    expect(packed.files.map((f) => f.path)).toEqual(expect.arrayContaining(
        ['package.json', 'dist/src/index.js', 'dist/src/node.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js']));
    expect(packed.files.filter((f) => f.path.startsWith('test/') || f.path.startsWith('src/'))).toEqual([]);
    run('mkdir', ['-p', project], root);
    writeFileSync(join(project, 'package.json'), JSON.stringify({name: 'app', private: true, type: 'module'}));
    run('npm', ['install', join(root, packed.filename), '@tensorflow/tfjs', '--prefer-offline', '--no-audit',
      '--no-fund'], project);
  });

  afterAll(() => {
    rmSync(root, {recursive: true, force: true});
  });

  it('installs one tfjs-core and tfjs-layers, and no tfjs-node (an optional peer)', () => {
    const tensorflow = readdirSync(join(project, 'node_modules', '@tensorflow'));
    expect(tensorflow).toEqual(expect.arrayContaining(['tfjs', 'tfjs-core', 'tfjs-layers', 'tfjs-backend-wasm']));
    expect(tensorflow).not.toContain('tfjs-node');
    // One copy each: the package and tfjs share their tensors, layers and backends.
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as
        {packages: Record<string, unknown>};
    const copies = (pkg: string) => Object.keys(lock.packages).filter((p) => p.endsWith(`node_modules/${pkg}`));
    expect(copies('@tensorflow/tfjs-core')).toEqual(['node_modules/@tensorflow/tfjs-core']);
    expect(copies('@tensorflow/tfjs-layers')).toEqual(['node_modules/@tensorflow/tfjs-layers']);
  });

  it('a Node script trains a QAT model and writes an int8 .tflite', () => {
    writeFileSync(join(project, 'app.mjs'), NODE_APP);
    const out = JSON.parse(run(process.execPath, ['app.mjs'], project).trim().split('\n').at(-1)!) as
        {backend: string, bytes: number, operators: string[], kernelTypes: string[]};
    expect(out.backend).toBe('wasm');
    expect(out.operators).toEqual(['QUANTIZE', 'FULLY_CONNECTED', 'FULLY_CONNECTED', 'DEQUANTIZE']);
    expect(out.kernelTypes).toEqual(['INT8', 'INT8']);
    const file = readFileSync(join(project, 'model_int8.tflite'));
    expect(file.length).toBe(out.bytes);
    expect(file.subarray(4, 8).toString('latin1')).toBe('TFL3');
  });

  it('esbuild bundles a browser file importing both (no externals) from the default entry', async () => {
    writeFileSync(join(project, 'browser.js'), BROWSER_APP);
    const result = await build({entryPoints: ['browser.js'], absWorkingDir: project, bundle: true,
      platform: 'browser', format: 'esm', minify: true, write: false, metafile: true, logLevel: 'silent'});
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain(`node_modules/${NAME}/dist/src/index.js`);
    expect(inputs).toContain('node_modules/@tensorflow/tfjs/dist/index.js');
    // tfjs-core's own platform_node.js is bundled by every tfjs app (it guards its Node use); ours must not be.
    expect(inputs.filter((p) => p.startsWith('node:') || (p.startsWith(`node_modules/${NAME}/`) &&
        (p.endsWith('/dist/src/node.js') || p.endsWith('_node.js'))))).toEqual([]);
  });

  it('TypeScript type-checks a file importing both, with NodeNext and with Bundler resolution', () => {
    writeFileSync(join(project, 'typed.ts'), TYPED_APP);
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [module, moduleResolution] of [['NodeNext', 'NodeNext'], ['ESNext', 'Bundler']]) {
      writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({compilerOptions: {
        module, moduleResolution, target: 'ES2022', lib: ['ES2022', 'DOM'], strict: true, noEmit: true,
        skipLibCheck: true, types: [],
      }, files: ['typed.ts']}));
      run(process.execPath, [tsc, '-p', '.'], project);  // throws with tsc's errors
    }
  });
});
