/**
 * `npm run bench`: runs every benchmark and overwrites BENCHMARKS.md.
 *
 * To add a benchmark, write a module that returns a `BenchSection` (see
 * report.ts) and append it to BENCHMARKS below.
 */
import {execFileSync} from 'node:child_process';
import {readFileSync, writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

import {backendSpeed} from './backend_speed.js';
import {browserTraining} from './browser_training.js';
import {bundleSize} from './bundle_size.js';
import {clusteringOverhead} from './clustering.js';
import {pcqatSizes} from './pcqat_sizes.js';
import {pruningBench} from './pruning.js';
import {qatOverhead} from './qat_overhead.js';
import {updateReadme} from './readme_summary.js';
import {BenchSection, machineInfo, renderReport, renderTable} from './report.js';
import {tfliteExport} from './tflite_export.js';
import {zooBench} from './zoo.js';

interface Benchmark {
  id: string;
  run: () => Promise<BenchSection>;
}

const BENCHMARKS: Benchmark[] = [
  {id: 'qat_overhead', run: () => qatOverhead('wasm')},
  {id: 'backend_speed', run: () => backendSpeed()},
  {id: 'tflite_export', run: () => tfliteExport()},
  {id: 'pruning', run: () => pruningBench()},
  {id: 'clustering', run: () => clusteringOverhead('wasm')},
  {id: 'pcqat_sizes', run: () => pcqatSizes()},
  {id: 'zoo', run: () => zooBench()},
  {id: 'browser_training', run: () => browserTraining()},
  {id: 'bundle_size', run: () => bundleSize()},
];

const OUTPUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));
/** A section kept by hand (the values behind the tests' bounds), copied after the measured ones. */
const TEST_BOUNDS = fileURLToPath(new URL('./test_bounds.md', import.meta.url));

function gitCommit(): string | null {
  try {
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {encoding: 'utf8'}).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'],
        {encoding: 'utf8'}).trim() !== '';
    return dirty ? `${hash} (with uncommitted changes)` : hash;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const start = performance.now();
  const sections: BenchSection[] = [];
  for (const bench of BENCHMARKS) {
    const t0 = performance.now();
    console.log(`Running ${bench.id}...`);
    const section = await bench.run();
    sections.push(section);
    console.log(`${renderTable(section.rows)}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  const machine = machineInfo('wasm (QAT, pruning and clustering overhead, TFLite export, PCQAT sizes); wasm, cpu and ' +
      'tensorflow if installed (backend speed); LiteRT.js wasm, 1 thread (latencies)', gitCommit());
  const report = `${renderReport(machine, sections)}\n${readFileSync(TEST_BOUNDS, 'utf8')}`;
  writeFileSync(OUTPUT, report);
  updateReadme(README, report);
  console.log(`Wrote ${OUTPUT} and README.md's benchmark table in ${((performance.now() - start) / 1000).toFixed(0)} s total.`);
}

await main();
