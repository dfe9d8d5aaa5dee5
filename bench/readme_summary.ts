/**
 * The README's benchmark table: every ratio row (unit 'x') of BENCHMARKS.md,
 * under its section, with the run's date and commit. `npm run bench` rewrites
 * it after BENCHMARKS.md; test/readme checks that the two agree.
 */
import {readFileSync, writeFileSync} from 'node:fs';

export const README_BEGIN = '<!-- benchmarks: generated from BENCHMARKS.md by bench/readme_summary.ts -->';
export const README_END = '<!-- /benchmarks -->';

/** The markdown table (and its one-line source note) for the README, from BENCHMARKS.md's text. */
export function readmeBenchmarkTable(benchmarksMd: string): string {
  const date = benchmarksMd.match(/^- Date: (.+)$/m)?.[1] ?? '?';
  const commit = benchmarksMd.match(/^- Commit: (.+)$/m)?.[1] ?? '?';
  const rows: string[] = [];
  let section = '';
  for (const line of benchmarksMd.split('\n')) {
    const heading = line.match(/^## (.+)$/);
    if (heading) section = heading[1];
    const cells = line.match(/^\| (.+?) \| (.+?) \| (.+?) \| (.*) \|$/);
    if (cells && cells[3] === 'x') rows.push(`| ${section} | ${cells[1]} | ${cells[2]}x | ${cells[4]} |`);
  }
  if (rows.length === 0) throw new Error('BENCHMARKS.md has no ratio rows (unit x)');
  return [`Ratios from one run of \`npm run bench\` (${date}, commit ${commit}); [BENCHMARKS.md](BENCHMARKS.md) ` +
      'has the absolute figures and how each was measured.', '',
  '| Area | Ratio | Value | Note |', '|---|---|---:|---|', ...rows].join('\n');
}

/** Replaces the README's generated block with the table for `benchmarksMd`. */
export function updateReadme(readmePath: string, benchmarksMd: string): void {
  const readme = readFileSync(readmePath, 'utf8');
  const start = readme.indexOf(README_BEGIN), end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`${readmePath} lacks the ${README_BEGIN} ... ${README_END} block`);
  writeFileSync(readmePath, `${readme.slice(0, start + README_BEGIN.length)}\n${readmeBenchmarkTable(benchmarksMd)}\n${
    readme.slice(end)}`);
}
