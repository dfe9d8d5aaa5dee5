/**
 * Import direction: the files of src/, schedules/ and callbacks/ form no
 * import cycle, and every import goes to the same or a lower layer. Type-only
 * imports, `export ... from` and dynamic `import()` count like any import
 * (test/architecture/import_graph.ts reads them with the TypeScript parser).
 *
 * The checker itself is tested first on small in-memory trees, so a clean
 * result on the real tree means something.
 */
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {join, relative, sep} from 'node:path';
import {fileURLToPath} from 'node:url';

import {describe, expect, it} from 'vitest';

import {checkImports, moduleReferences, RankTable, rankKey} from './import_graph.js';

/**
 * The layers, lowest first. A file may import files of its own rank or a
 * lower one, never a higher one. The longest matching entry wins; a file
 * no entry covers fails the test, so a new folder must be placed here.
 *
 * 0  errors.ts: the error classes and argument checks; imports nothing,
 *    everyone may throw them. platform.ts: the registry of Node-only
 *    implementations (imports only errors.ts), so browser-safe code at
 *    any layer can reach what the Node entry installs.
 * 1  Leaf services that need only errors.ts and know nothing of models:
 *    the tfjs backend and its kernels, file-system IO handlers, the MNIST
 *    loader, plots and tables, TensorBoard summaries. Below graph so any
 *    layer (core, a technique's callback, the CLI) may use them.
 * 2  graph: the core. Model graph, rebuild/transform/clone, the wrapper
 *    base class, serialization, one description per layer class. It
 *    imports no technique.
 * 3  The techniques, built on graph, at one rank: quantization, pruning,
 *    clustering, the pruning schedules and the training callbacks (plus
 *    src/callbacks, the barrel re-exporting callbacks/). They are one rank
 *    because they legitimately reach each other: pruning/index.ts re-exports
 *    the pruning callbacks and schedules, the callbacks drive pruning
 *    wrappers, and the collaborative schemes (PQAT/CQAT/PCQAT) sit on top
 *    of a pruned or clustered model. Their mutual imports are kept in
 *    check by the cycle rule rather than by a sub-order.
 * 4  tflite: lowering and export of (quantized) models; reads the
 *    technique wrappers.
 * 5  report and cli: tools on top of everything.
 * 6  src/index.ts: the public barrel, re-exports every folder; the
 *    browser-safe default entry.
 * 7  src/node.ts: the Node entry, index.ts plus the modules installing the
 *    Node-only implementations.
 */
const RANKS: RankTable = {
  'src/errors.ts': 0,
  'src/platform.ts': 0,
  'src/backend': 1,
  'src/io': 1,
  'src/data': 1,
  'src/plot': 1,
  'src/summary': 1,
  'src/graph': 2,
  'src/quantization': 3,
  'src/pruning': 3,
  'src/clustering': 3,
  'schedules': 3,
  'callbacks': 3,
  'src/callbacks': 3,
  'src/tflite': 4,
  'src/report': 5,
  'src/cli': 5,
  'src/index.ts': 6,
  'src/node.ts': 7,
};

const ROOTS = ['src', 'schedules', 'callbacks'];
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SELF = {name: 'tfjs-model-optimization', entry: 'src/index.ts'};

/** Every .ts file under the roots, repo-relative posix path -> source. */
function readTree(): Map<string, string> {
  const sources = new Map<string, string>();
  for (const root of ROOTS) {
    for (const name of readdirSync(join(REPO, root), {recursive: true, encoding: 'utf8'})) {
      const abs = join(REPO, root, name);
      if (!name.endsWith('.ts') || !statSync(abs).isFile()) continue;
      sources.set(relative(REPO, abs).split(sep).join('/'), readFileSync(abs, 'utf8'));
    }
  }
  return sources;
}

/** Fails with every entry on its own line. */
function expectNone(what: string, found: string[]): void {
  if (found.length > 0) {
    throw new Error(`${found.length} ${what}:\n  ${found.join('\n  ')}`);
  }
}

describe('import checker (in-memory fixtures)', () => {
  const ranks: RankTable = {'src/errors.ts': 0, 'src/graph': 2, 'src/quantization': 3, 'src/tflite': 4};

  it('reads every kind of module reference, type-only ones included', () => {
    const refs = moduleReferences('x.ts', [
      `import a from './a.js';`,
      `import type {B} from './b.js';`,
      `import {type C} from './c.js';`,
      `export {d} from './d.js';`,
      `export type {E} from './e.js';`,
      `export * from './f.js';`,
      `import './g.js';`,
      `type H = import('./h.js').H;`,
      `const i = () => import('./i.js');`,
      `import j = require('./j.js');`,
      `import * as tf from '@tensorflow/tfjs-core';`,
      `const k = await import(someName);`,
      `// import {l} from './l.js';`,
    ].join('\n'));
    expect(refs.map((r) => `${r.line} ${r.kind} ${r.specifier}`)).toEqual([
      '1 import ./a.js',
      '2 import type ./b.js',
      '3 import type ./c.js',
      '4 export from ./d.js',
      '5 export type from ./e.js',
      '6 export from ./f.js',
      '7 import ./g.js',
      '8 import() type ./h.js',
      '9 import() ./i.js',
      '10 import = require() ./j.js',
      '11 import @tensorflow/tfjs-core',
    ]);
  });

  it('reports a cycle, made of type-only, re-export and dynamic imports, as a chain of files', () => {
    const result = checkImports(new Map([
      ['src/graph/a.ts', `import type {B} from './b.js';\nexport const a = 1;`],
      ['src/graph/b.ts', `import {type C} from './c.js';\nexport type B = number;`],
      ['src/graph/c.ts', `export {a} from './a.js';\nexport type C = string;`],
      ['src/graph/d.ts', `export const d = () => import('./e.js');`],
      ['src/graph/e.ts', `import {d} from './d.js';`],
      ['src/graph/f.ts', `import {a} from './a.js';`],
    ]), ranks);
    expect(result.cycles).toEqual([
      'src/graph/a.ts:1 (import type) -> src/graph/b.ts:1 (import type) -> src/graph/c.ts:1 (export from) -> src/graph/a.ts',
      'src/graph/d.ts:1 (import()) -> src/graph/e.ts:1 -> src/graph/d.ts',
    ]);
    expect(result.upward).toEqual([]);
  });

  it('shows every import of a tangle in some chain', () => {
    const result = checkImports(new Map([
      ['src/graph/a.ts', `import './b.js';\nimport './c.js';`],
      ['src/graph/b.ts', `import './a.js';`],
      ['src/graph/c.ts', `import './a.js';`],
      ['src/graph/s.ts', `export type S = import('./s.js').T;\nexport type T = 1;`],
    ]), ranks);
    expect(result.cycles).toEqual([
      'src/graph/a.ts:1 -> src/graph/b.ts:1 -> src/graph/a.ts',
      'src/graph/a.ts:2 -> src/graph/c.ts:1 -> src/graph/a.ts',
      'src/graph/s.ts:1 (import() type) -> src/graph/s.ts',
    ]);
  });

  it('reports an upward import, type-only too, and allows same-rank and downward ones', () => {
    const result = checkImports(new Map([
      ['src/errors.ts', `export class ValueError extends Error {}`],
      ['src/graph/wrapper.ts', `import {ValueError} from '../errors.js';\nimport type {Q} from '../quantization/q.js';`],
      ['src/quantization/q.ts', `import '../graph/wrapper.js';\nimport './r.js';\nexport type Q = 1;`],
      ['src/quantization/r.ts', `export {};`],
      ['src/tflite/t.ts', `import '../quantization/q.js';\nimport '../errors.js';`],
    ]), ranks);
    expect(result.upward).toEqual([
      'src/graph/wrapper.ts:2 -> src/quantization/q.ts  [import type; src/graph (rank 2) imports src/quantization (rank 3)]',
    ]);
    // wrapper.ts <-> q.ts is also a cycle.
    expect(result.cycles).toEqual(['src/graph/wrapper.ts:2 (import type) -> src/quantization/q.ts:1 -> src/graph/wrapper.ts']);
  });

  it('flags graph -> quantization with the real rank table, and nothing for a clean tree', () => {
    const bad = checkImports(new Map([
      ['src/graph/clone_model.ts', `export const c = async () => (await import('../quantization/quantize_annotate.js')).x;`],
      ['src/quantization/quantize_annotate.ts', `export const x = 1;`],
    ]), RANKS);
    expect(bad.upward).toEqual([
      'src/graph/clone_model.ts:1 -> src/quantization/quantize_annotate.ts  [import(); src/graph (rank 2) imports src/quantization (rank 3)]',
    ]);
    const clean = checkImports(new Map([
      ['src/errors.ts', ``],
      ['src/graph/model_graph.ts', `import '../errors.js';`],
      ['src/quantization/q.ts', `import '../graph/model_graph.js';`],
      ['src/pruning/p.ts', `import '../quantization/q.js';\nimport '../../schedules/s.js';`],
      ['schedules/s.ts', `import '../src/errors.js';`],
      ['src/tflite/t.ts', `import '../pruning/p.js';`],
      ['src/index.ts', `export * from './tflite/t.js';\nexport * from '@tensorflow/tfjs-core';`],
    ]), RANKS);
    expect([clean.upward, clean.cycles, clean.unranked, clean.unresolved]).toEqual([[], [], [], []]);
    expect(clean.graph.edges).toHaveLength(7);
  });

  it('reports files outside the rank table and specifiers naming no file', () => {
    const result = checkImports(new Map([
      ['src/graph/a.ts', `import './missing.js';\nimport '../newfolder/n.js';`],
      ['src/newfolder/n.ts', ``],
    ]), ranks);
    expect(result.unranked).toEqual(['src/newfolder/n.ts']);
    expect(result.unresolved).toEqual([`src/graph/a.ts:1 import './missing.js' names no checked .ts file`]);
  });
});

describe('import direction of src/, schedules/, callbacks/', () => {
  const sources = readTree();
  const result = checkImports(sources, RANKS, SELF);

  it('reads the whole tree', () => {
    // Guards against a vacuous pass: a wrong root would find no files.
    expect(sources.size).toBeGreaterThan(80);
    expect(result.graph.edges.length).toBeGreaterThan(200);
    expect(sources.has('src/graph/model_graph.ts')).toBe(true);
  });

  it('places every file in the rank table, and every table entry exists', () => {
    expectNone('files with no rank (add their folder to RANKS)', result.unranked);
    expectNone('rank table entries naming nothing', Object.keys(RANKS).filter((k) => !existsSync(join(REPO, k))));
    expectNone('rank table entries covering no file',
        Object.keys(RANKS).filter((k) => ![...sources.keys()].some((f) => rankKey(f, RANKS) === k)));
  });

  it('resolves every relative import to a checked file', () => {
    expectNone('unresolved imports', result.unresolved);
  });

  it('has no import going up a layer', () => {
    expectNone('upward imports (file:line -> target)', result.upward);
  });

  it('has no import cycle', () => {
    expectNone('import cycles (file:line of the import -> next file)', result.cycles);
  });
});
