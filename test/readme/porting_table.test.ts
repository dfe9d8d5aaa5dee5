/**
 * The README's table of deliberate differences from TFMOT: every row names
 * the test that shows what the library does, and that test must exist.
 */
import {readFileSync} from 'node:fs';

import {describe, expect, it} from 'vitest';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The rows of the table under "Deliberate differences from TFMOT". */
function differenceRows(): string[][] {
  const section = README.split('### Deliberate differences from TFMOT')[1]?.split('\n## ')[0] ?? '';
  return section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| TFMOT |'))
      .map((line) => line.slice(2, -2).split(' | '));
}

describe('README: deliberate differences from TFMOT', () => {
  it('has rows, each with four cells', () => {
    const rows = differenceRows();
    expect(rows.length).toBeGreaterThanOrEqual(15);
    for (const row of rows) {
      expect(row, row.join(' | ')).toHaveLength(4);
    }
  });

  it('names, in every row, tests that exist in the files it names', () => {
    for (const [, , , tests] of differenceRows()) {
      // "dir/file: "title", "title"; dir/file: "title"".
      for (const reference of tests.split('; ')) {
        const [file, titles] = reference.split(/: (.*)/s);
        // Titles as written in single-quoted test names, where an apostrophe is escaped.
        const source = readFileSync(new URL(`../${file}.test.ts`, import.meta.url), 'utf8').replace(/\\'/g, "'");
        const named = [...titles.matchAll(/"([^"]+)"/g)].map((m) => m[1].replace(/…$/, ''));
        expect(named.length, reference).toBeGreaterThan(0);
        for (const title of named) {
          expect(source.includes(title), `${file}: "${title}"`).toBe(true);
        }
      }
    }
  });
});
