/**
 * One package, both platforms: the default entry bundles for a browser with
 * esbuild (no Node polyfills, no externals) and pulls in nothing of Node,
 * and package.json's exports send Node to the Node entry and everything
 * else (bundlers' browser conditions, TypeScript's types) to the default one.
 *
 * dist/ may not exist when the tests run, so the bundle is built from
 * src/index.ts (the source of dist/src/index.js), and the exports map is
 * checked on its own against the real resolvers (esbuild, Node, TypeScript)
 * in a scratch package holding our package.json and stub files.
 */
import {execFileSync} from 'node:child_process';
import {copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join, relative, sep} from 'node:path';
import {fileURLToPath} from 'node:url';

import {build, type BuildFailure, type Metafile, type Plugin} from 'esbuild';
import ts from 'typescript';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NAME = 'tfjs-model-optimization';

/** A page's code: optimize a model, export int8 TFLite, report it. */
const APP = `
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfmot from '${NAME}';

export async function run() {
  await tfmot.backend.init();
  const model = tfl.sequential({layers: [tfl.layers.dense({inputShape: [4], units: 2})]});
  const qat = tfmot.quantization.quantizeModel(model);
  const bytes = await tfmot.tflite.TFLiteConverter.fromLayersModel(qat).convert();
  const pruned = tfmot.sparsity.pruneLowMagnitude(model);
  return [tfmot.formatReport(tfmot.report(bytes)), pruned.name, tfmot.io.L2];
}
`;

/** The package name -> src/index.ts, the source of what the browser condition picks (checked below). */
const packageFromSource: Plugin = {
  name: 'package-from-source',
  setup(b) {
    b.onResolve({filter: new RegExp(`^${NAME}$`)}, () => ({path: join(REPO, 'src', 'index.ts')}));
  },
};

/** Repo-relative posix paths of the bundle's inputs under src/. */
function sourceInputs(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs)
      .map((p) => relative(REPO, join(REPO, p)).split(sep).join('/'))
      .filter((p) => p.startsWith('src/'));
}

describe('browser bundle of the default entry', () => {
  it('builds with platform browser and no externals, and holds no node:* module and no Node entry file', async () => {
    const result = await build({
      stdin: {contents: APP, resolveDir: REPO, loader: 'ts', sourcefile: 'app.ts'},
      bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent',
      plugins: [packageFromSource],
    }).catch((e: unknown) => {
      // The message lists each import esbuild could not resolve for a browser, with its file and line.
      const errors = (e as Partial<BuildFailure>).errors ?? [];
      throw new Error(`browser bundle failed:\n${errors.length === 0 ? String(e) : errors.map((x) =>
        `${x.location ? `${x.location.file}:${x.location.line} ` : ''}${x.text}`).join('\n')}`);
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((w) => w.text)).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    const src = sourceInputs(result.metafile);
    // Not vacuous: the package, tfjs and its backends are in the bundle.
    expect(src).toEqual(expect.arrayContaining(['src/index.ts', 'src/platform.ts', 'src/io/file_system.ts',
      'src/tflite/converter.ts', 'src/report/report.ts', 'src/data/mnist.ts', 'src/summary/index.ts']));
    expect(inputs.some((p) => p.includes('@tensorflow/tfjs-core/'))).toBe(true);
    expect(inputs.some((p) => p.includes('@tensorflow/tfjs-backend-wasm/'))).toBe(true);
    expect(inputs.some((p) => p.includes('/fflate/'))).toBe(true);
    expect(inputs.filter((p) => p.startsWith('node:'))).toEqual([]);
    expect(src.filter((p) => p === 'src/node.ts' || p.endsWith('_node.ts'))).toEqual([]);
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports.filter((p) => p.startsWith('node:') || !p.startsWith('.'))).toEqual([]);
  });
});

describe("package.json's exports", () => {
  let root: string;
  let project: string;
  const stubs = {
    'dist/src/index.js': `export const entry = 'index';`,
    'dist/src/node.js': `export const entry = 'node';`,
    'dist/src/index.d.ts': `export declare const entry: 'index';`,
    'dist/src/node.d.ts': `export declare const entry: 'node';`,
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'tfmot-exports-'));
    project = join(root, 'app');
    const pkg = join(project, 'node_modules', NAME);
    mkdirSync(join(pkg, 'dist', 'src'), {recursive: true});
    copyFileSync(join(REPO, 'package.json'), join(pkg, 'package.json'));
    for (const [file, text] of Object.entries(stubs)) writeFileSync(join(pkg, file), text);
    writeFileSync(join(project, 'package.json'), JSON.stringify({name: 'app', type: 'module', private: true}));
  });

  afterAll(() => {
    rmSync(root, {recursive: true, force: true});
  });

  /** Which stub esbuild bundles for `specifier` on `platform`. */
  async function esbuildPicks(specifier: string, platform: 'browser' | 'node'): Promise<string> {
    const result = await build({
      stdin: {contents: `export {entry} from '${specifier}';`, resolveDir: project, loader: 'js'},
      bundle: true, platform, format: 'esm', write: false, metafile: true, logLevel: 'silent',
    });
    const files = Object.keys(result.metafile.inputs).filter((p) => p.includes(`${NAME}/dist/`));
    expect(files).toHaveLength(1);
    return files[0].split(`${NAME}/`)[1];
  }

  it('bundlers with browser conditions get dist/src/index.js; platform node gets node.js', async () => {
    expect(await esbuildPicks(NAME, 'browser')).toBe('dist/src/index.js');
    expect(await esbuildPicks(NAME, 'node')).toBe('dist/src/node.js');
    expect(await esbuildPicks(`${NAME}/node`, 'browser')).toBe('dist/src/node.js');
  });

  it('Node resolves the package to dist/src/node.js, by import and by require (tslab)', () => {
    const script = `process.stdout.write(JSON.stringify([import.meta.resolve('${NAME}'), ` +
        `(await import('node:module')).createRequire(import.meta.url).resolve('${NAME}')]))`;
    const [imported, required] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script],
        {cwd: project, encoding: 'utf8'})) as string[];
    expect(fileURLToPath(imported)).toBe(join(project, 'node_modules', NAME, 'dist', 'src', 'node.js'));
    expect(required).toBe(join(project, 'node_modules', NAME, 'dist', 'src', 'node.js'));
  });

  it('TypeScript (NodeNext and Bundler resolution) reads the types of the default entry', () => {
    const from = join(project, 'app.ts');
    for (const moduleResolution of [ts.ModuleResolutionKind.NodeNext, ts.ModuleResolutionKind.Bundler]) {
      const options = {module: moduleResolution === ts.ModuleResolutionKind.Bundler ?
        ts.ModuleKind.ESNext : ts.ModuleKind.NodeNext, moduleResolution};
      const resolved = (specifier: string) => ts.resolveModuleName(specifier, from, options, ts.sys,
          undefined, undefined, ts.ModuleKind.ESNext).resolvedModule?.resolvedFileName;
      expect(resolved(NAME), `resolution ${moduleResolution}`)
          .toBe(join(project, 'node_modules', NAME, 'dist', 'src', 'index.d.ts'));
      expect(resolved(`${NAME}/node`), `resolution ${moduleResolution}`)
          .toBe(join(project, 'node_modules', NAME, 'dist', 'src', 'node.d.ts'));
    }
  });
});
