/**
 * The default (browser) entry loaded without the Node entry, as a bundle
 * gets it: the Node-only calls fail with a NotSupportedError naming the Node
 * entry and the browser alternative, and importing the Node entry into the
 * same process installs them. Runs in a child process, since vitest's setup
 * file loads the Node entry into every test file.
 */
import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

import {afterAll, describe, expect, it} from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Calls each Node-only feature from src/index.ts, then again after importing src/node.ts. */
const SCRIPT = `
const dir = process.argv[1];
const tfmot = await import('./src/index.ts');
const calls = {
  'io.fileSystem': () => tfmot.io.fileSystem(dir + '/model'),
  'io.FileSystemHandler': () => new tfmot.io.FileSystemHandler(dir + '/model'),
  'data.loadMnist': () => tfmot.data.loadMnist({numTrain: 1, numTest: 0}),
  'summary.createSummaryWriter': () => tfmot.summary.createSummaryWriter(dir + '/logs'),
};
async function attempt() {
  const out = {};
  for (const [name, call] of Object.entries(calls)) {
    try {
      const result = await call();
      out[name] = {ok: true, path: result?.path};
      if (result?.close) await result.close();
      if (result?.train) for (const t of [result.train.xs, result.train.ys, result.test.xs, result.test.ys]) t.dispose();
    } catch (e) {
      out[name] = {ok: false, name: e.name, notSupported: e instanceof tfmot.NotSupportedError, message: e.message};
    }
  }
  return out;
}
const before = await attempt();
await import('./src/node.ts');
await tfmot.backend.init({backend: 'cpu'});  // loadMnist makes tensors
const after = await attempt();
process.stdout.write(JSON.stringify({before, after}));
`;

interface Outcome {
  ok: boolean;
  path?: string;
  name?: string;
  notSupported?: boolean;
  message?: string;
}

describe('the browser entry in Node, without the Node entry', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfmot-browser-entry-'));
  afterAll(() => {
    rmSync(dir, {recursive: true, force: true});
  });

  it('fails each Node-only call naming the Node entry and a browser alternative; the Node entry installs them', () => {
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, dir],
        {cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
    const {before, after} = JSON.parse(output) as {before: Record<string, Outcome>, after: Record<string, Outcome>};
    const alternatives: Record<string, RegExp> = {
      'io.fileSystem': /tf\.io\.browserDownloads\(\).*'indexeddb:\/\/<name>'.*tf\.io\.fromMemory/,
      'io.FileSystemHandler': /tf\.io\.browserDownloads\(\)/,
      'data.loadMnist': /load your own digits/,
      'summary.createSummaryWriter': /no TensorBoard file writer: chart training with tfjs-vis/,
    };
    expect(Object.keys(before)).toEqual(Object.keys(alternatives));
    for (const [name, alternative] of Object.entries(alternatives)) {
      const outcome = before[name];
      expect(outcome, name).toMatchObject({ok: false, name: 'NotSupportedError', notSupported: true});
      expect(outcome.message, name).toContain("'tfjs-model-optimization/node'");
      expect(outcome.message, name).toContain('needs Node.js');
      expect(outcome.message, name).toMatch(alternative);
    }
    // The same module instances, after `import 'tfjs-model-optimization/node'`.
    expect(after['io.fileSystem']).toEqual({ok: true, path: join(dir, 'model')});
    expect(after['io.FileSystemHandler']).toEqual({ok: true, path: join(dir, 'model')});
    expect(after['summary.createSummaryWriter'].ok).toBe(true);
    expect(after['data.loadMnist'].ok).toBe(true);
  });
});
