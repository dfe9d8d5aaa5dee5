/**
 * scripts/run_notebooks.mjs, the CI step that executes every notebook, must
 * fail on a broken cell, a type error, or a notebook that shows no table or
 * plot, and pass a notebook that works. The fixtures run in the real tslab
 * kernel under Jupyter (Debian's python3-nbclient).
 */
import {spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {afterAll, describe, expect, it} from 'vitest';

const hasJupyter = spawnSync('/usr/bin/python3', ['-c', 'import nbclient, jupyter_client'], {stdio: 'ignore'}).status === 0;
// .ci/run installs Jupyter and sets TFMOT_CI_TOOLS=1, so there a missing Jupyter fails instead of skipping.
const run = hasJupyter || process.env.TFMOT_CI_TOOLS === '1';
const fixture = (name: string) => join('test', 'notebooks', 'fixtures', `${name}.ipynb`);
const out = mkdtempSync(join(tmpdir(), 'notebooks-'));
afterAll(() => rmSync(out, {recursive: true, force: true}));

function runNotebooks(...notebooks: string[]) {
  const r = spawnSync('node', ['scripts/run_notebooks.mjs', '--out', out, ...notebooks.map(fixture)], {encoding: 'utf8'});
  return {status: r.status, stdout: r.stdout, stderr: r.stderr};
}

describe.runIf(run)('run_notebooks script', () => {
  it('has the built package to import', () => {
    expect(existsSync('dist/src/index.js')).toBe(true);
  });

  it('passes a notebook that imports the package by name and shows a table and a plot', () => {
    const linkedBefore = existsSync('node_modules/tfjs-model-optimization');  // e.g. after `npm link`
    const r = runNotebooks('ok');
    expect(r.stdout, r.stderr).toContain('1 of 1 notebooks ran');
    expect(r.status).toBe(0);
    const executed = readFileSync(join(out, 'ok.ipynb'), 'utf8');
    expect(executed).toContain('<svg');
    expect(executed).toContain('<table');
    // The run links the package under its own name only for itself.
    expect(existsSync('node_modules/tfjs-model-optimization')).toBe(linkedBefore);
  });

  it('fails on a deliberately broken cell, a type error, and a notebook without a plot', () => {
    const r = runNotebooks('broken_cell', 'type_error', 'no_plot', 'ok');
    expect(r.status).toBe(1);
    const line = (name: string) => r.stdout.split('\n').find((l) => l.includes(`${name}.ipynb (`)) ?? '';
    expect(line('broken_cell')).toMatch(/^FAIL .*cell failed/);
    expect(r.stdout).toContain('Error: deliberately broken cell');
    expect(line('type_error')).toMatch(/^FAIL /);
    expect(r.stdout).toContain("Type 'string' is not assignable to type 'number'");
    expect(line('no_plot')).toMatch(/^FAIL .*shows no plot/);
    expect(line('ok')).toMatch(/^ok /);
    expect(r.stdout).toContain('1 of 4 notebooks ran');
    // Cells after the failing one do not run.
    expect(readFileSync(join(out, 'broken_cell.ipynb'), 'utf8')).not.toContain('never reached\\n"');
  });
});
