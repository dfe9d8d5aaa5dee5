/**
 * The import graph of a set of TypeScript files, read with the TypeScript
 * parser (no type checking, no file system: the files are given as a map
 * from repo-relative path to source text, so the checker can be tested on
 * an in-memory fixture), and the two rules of test/architecture:
 * - no import cycle between files;
 * - no import from a file to a file of a higher rank.
 *
 * Every module reference counts, type-only ones included: `import`,
 * `import type`, `import {type X}`, side-effect `import './x.js'`,
 * `export ... from`, `export * from`, dynamic `import('./x.js')`,
 * `import('./x.js').T` in a type, `import x = require('./x.js')` and
 * `require('./x.js')`. A dynamic import of a computed specifier (not a
 * string literal) cannot be resolved and is ignored; the checked code only
 * uses that form for optional npm packages.
 */
import {posix} from 'node:path';

import ts from 'typescript';

/** One module reference in a file. */
export interface ModuleReference {
  specifier: string;
  /** 1-based line of the reference. */
  line: number;
  /** How it is written, e.g. 'import type', 'export from', 'import()'. */
  kind: string;
}

/** A resolved import between two files of the graph. */
export interface ImportEdge {
  from: string;
  to: string;
  line: number;
  kind: string;
}

/** The import graph: files, resolved edges, and what could not be resolved. */
export interface ImportGraph {
  files: string[];
  edges: ImportEdge[];
  /** Relative (or self-package) specifiers that name no file of the graph. */
  unresolved: string[];
}

/** Folder or file (repo-relative, no trailing slash) -> rank. */
export type RankTable = Readonly<Record<string, number>>;

/** Everything the checker found wrong; each entry is one readable line. */
export interface Violations {
  /** `file:line -> target` imports to a higher rank. */
  upward: string[];
  /** Each cycle as a chain `a.ts:line -> b.ts:line (kind) -> a.ts`. */
  cycles: string[];
  /** Files no entry of the rank table covers. */
  unranked: string[];
  /** Specifiers that resolve to no checked file. */
  unresolved: string[];
}

/** Every module reference of one file, in source order. */
export function moduleReferences(fileName: string, source: string): ModuleReference[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const refs: ModuleReference[] = [];
  const add = (node: ts.Node, literal: ts.Expression | undefined, kind: string) => {
    if (literal === undefined || !ts.isStringLiteralLike(literal)) return;
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    refs.push({specifier: literal.text, line, kind});
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allTypes = clause !== undefined && clause.name === undefined && named !== undefined &&
          ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
      add(node, node.moduleSpecifier, clause?.isTypeOnly || allTypes ? 'import type' : 'import');
    } else if (ts.isExportDeclaration(node)) {
      add(node, node.moduleSpecifier, node.isTypeOnly ? 'export type from' : 'export from');
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, 'import = require()');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal, 'import() type');
    } else if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        add(node, node.arguments[0], 'import()');
      } else if (ts.isIdentifier(node.expression) && node.expression.text === 'require') {
        add(node, node.arguments[0], 'require()');
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return refs;
}

/**
 * The file a specifier names, or undefined if it is an npm package.
 * Relative specifiers are written with the emitted suffix (`./x.js` for
 * x.ts, NodeNext style); a suffix-less one or a folder also resolve.
 * `selfPackage` maps the package's own name to its entry file.
 */
function resolve(from: string, specifier: string, fileSet: ReadonlySet<string>,
    selfPackage?: {name: string; entry: string}): string | null | undefined {
  if (selfPackage && specifier === selfPackage.name) return selfPackage.entry;
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = [
    base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.tsx'),
    base.replace(/\.mjs$/, '.mts'), base.replace(/\.cjs$/, '.cts'),
    base, `${base}.ts`, `${base}/index.ts`,
  ];
  return candidates.find((c) => fileSet.has(c)) ?? null;
}

/** The import graph of `sources` (repo-relative posix path -> source text). */
export function buildGraph(sources: ReadonlyMap<string, string>,
    selfPackage?: {name: string; entry: string}): ImportGraph {
  const files = [...sources.keys()].sort();
  const fileSet = new Set(files);
  const edges: ImportEdge[] = [];
  const unresolved: string[] = [];
  for (const from of files) {
    for (const ref of moduleReferences(from, sources.get(from)!)) {
      const to = resolve(from, ref.specifier, fileSet, selfPackage);
      if (to === undefined) continue;
      if (to === null) {
        unresolved.push(`${from}:${ref.line} ${ref.kind} '${ref.specifier}' names no checked .ts file`);
      } else {
        edges.push({from, to, line: ref.line, kind: ref.kind});
      }
    }
  }
  return {files, edges, unresolved};
}

/** The key of the longest rank-table entry covering `file`, if any. */
export function rankKey(file: string, ranks: RankTable): string | undefined {
  let best: string | undefined;
  for (const key of Object.keys(ranks)) {
    if ((file === key || file.startsWith(`${key}/`)) && (best === undefined || key.length > best.length)) best = key;
  }
  return best;
}

/** Imports to a higher rank, one line per (file, target) with all its lines. */
function upwardImports(graph: ImportGraph, ranks: RankTable): string[] {
  const out = new Map<string, {lines: number[]; kinds: Set<string>; why: string}>();
  for (const e of graph.edges) {
    const fromKey = rankKey(e.from, ranks);
    const toKey = rankKey(e.to, ranks);
    if (fromKey === undefined || toKey === undefined || ranks[toKey] <= ranks[fromKey]) continue;
    const id = `${e.from} -> ${e.to}`;
    const entry = out.get(id) ??
        {lines: [], kinds: new Set<string>(), why: `${fromKey} (rank ${ranks[fromKey]}) imports ${toKey} (rank ${ranks[toKey]})`};
    entry.lines.push(e.line);
    entry.kinds.add(e.kind);
    out.set(id, entry);
  }
  return [...out].map(([id, {lines, kinds, why}]) => {
    const [from, to] = id.split(' -> ');
    return `${from}:${lines.join(',')} -> ${to}  [${[...kinds].join(', ')}; ${why}]`;
  });
}

/** Strongly connected components (Tarjan), each sorted, in a stable order. */
function stronglyConnected(nodes: string[], next: ReadonlyMap<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const strong = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) strong(v);
  return components.sort((a, b) => a[0].localeCompare(b[0]));
}

/** The shortest path from `start` to `goal` inside `within` (BFS), both ends included. */
function shortestPath(start: string, goal: string, next: ReadonlyMap<string, string[]>,
    within: ReadonlySet<string>): string[] {
  const parent = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    if (v === goal) break;
    for (const w of next.get(v) ?? []) {
      if (within.has(w) && !parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  const path: string[] = [];
  for (let v: string | null = goal; v !== null; v = parent.get(v)!) path.unshift(v);
  return path;
}

/**
 * The import cycles, as chains `a.ts:3 -> b.ts:7 (import type) -> a.ts`
 * (line 3 of a.ts imports b.ts, line 7 of b.ts imports a.ts). Every edge that lies on some cycle appears
 * in at least one chain: for each such edge u -> v not yet shown, the chain
 * is u -> v followed by the shortest way back from v to u. So one tangle
 * of files gives as many chains as it needs to show every import to cut.
 */
function importCycles(graph: ImportGraph): string[] {
  const next = new Map<string, string[]>();
  // The first import of each (file, target) pair, shown as `file:line`,
  // with its kind unless it is a plain `import`.
  const label = new Map<string, string>();
  for (const e of graph.edges) {
    const id = `${e.from}\0${e.to}`;
    if (label.has(id)) continue;
    label.set(id, `${e.from}:${e.line}${e.kind === 'import' ? '' : ` (${e.kind})`}`);
    next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  }
  for (const targets of next.values()) targets.sort();
  const chains: string[] = [];
  for (const component of stronglyConnected(graph.files, next)) {
    const members = new Set(component);
    const selfLoop = component.length === 1 && (next.get(component[0]) ?? []).includes(component[0]);
    if (component.length === 1 && !selfLoop) continue;
    const shown = new Set<string>();
    for (const u of component) {
      for (const v of next.get(u) ?? []) {
        if (!members.has(v) || shown.has(`${u}\0${v}`)) continue;
        const cycle = [u, ...shortestPath(v, u, next, members)];
        const parts: string[] = [];
        for (let i = 0; i + 1 < cycle.length; i++) {
          shown.add(`${cycle[i]}\0${cycle[i + 1]}`);
          parts.push(label.get(`${cycle[i]}\0${cycle[i + 1]}`)!);
        }
        parts.push(cycle[cycle.length - 1]);
        chains.push(parts.join(' -> '));
      }
    }
  }
  return chains;
}

/** Both rules on `sources`; an empty `Violations` means the tree is clean. */
export function checkImports(sources: ReadonlyMap<string, string>, ranks: RankTable,
    selfPackage?: {name: string; entry: string}): Violations & {graph: ImportGraph} {
  const graph = buildGraph(sources, selfPackage);
  return {
    graph,
    upward: upwardImports(graph, ranks),
    cycles: importCycles(graph),
    unranked: graph.files.filter((f) => rankKey(f, ranks) === undefined),
    unresolved: graph.unresolved,
  };
}
