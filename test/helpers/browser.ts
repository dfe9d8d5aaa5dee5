/**
 * Runs a test entry file in real headless Chromium (Debian's /usr/bin/chromium
 * driven by playwright-core; nothing is downloaded). The entry is bundled with
 * esbuild for the browser with no externals, so a bundling failure fails the
 * test too; it is served from 127.0.0.1 (random port) next to the tfjs wasm
 * files (/tfjs-wasm/) and LiteRT.js's files (/litert/); it runs on a page or
 * in a Web Worker, calls `runInPage` (test/helpers/browser_entry.ts), and its
 * value comes back as JSON. A page error, a console error or a failed request
 * fails the run. Everything is closed afterwards.
 */
import {existsSync, readFileSync, statSync} from 'node:fs';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import * as esbuild from 'esbuild';
import {chromium} from 'playwright-core';

import type {EntryOutcome} from './browser_entry.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Debian's chromium (`apt-get install chromium`); .ci/run installs it. */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags for headless Chromium in a container: no sandbox, no GPU process (WebGL2 runs on SwiftShader), no network. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Folders every run serves: tfjs-backend-wasm's .wasm files and LiteRT.js's glue and .wasm files. */
export const SERVED_FOLDERS: Readonly<Record<string, string>> = {
  '/tfjs-wasm/': path.join(REPO, 'node_modules/@tensorflow/tfjs-backend-wasm/dist'),
  '/litert/': path.join(REPO, 'node_modules/@litertjs/core/wasm'),
};

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.tflite': 'application/octet-stream',
  '.bin': 'application/octet-stream', '.css': 'text/css', '.png': 'image/png',
};

/** One run of an entry file in Chromium. */
export interface BrowserRun {
  /** The entry file (TypeScript), absolute or relative to the repository. */
  entry: string;
  /**
   * Where the entry runs: on the page (default), in a classic Web Worker, or
   * in a module Web Worker (bundled as ESM).
   */
  where?: 'page'|'worker'|'module-worker';
  /** More files to serve, by URL path: bytes, JSON-able values (served as JSON), or a local file or folder path. */
  files?: Record<string, Uint8Array|string|{json: unknown}>;
  /** Console messages (`type: text`) that do not fail the run, e.g. an expected error a test provokes. */
  allowConsole?: RegExp[];
  /** URL paths whose 404 (and failed request) does not fail the run: files a test leaves out on purpose. */
  allowMissing?: RegExp[];
}

/** What a run gives back. */
export interface BrowserResult<T> {
  /** What the entry's `main` resolved to. */
  value: T;
  /** Every console message, as `type: text`. */
  console: string[];
  /** The bundle's size in bytes (with its inline source map). */
  bundleBytes: number;
}

/** Bundles `entry` for the browser: no externals, no Node polyfills. */
export async function bundle(entry: string, format: 'iife'|'esm'): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [path.resolve(REPO, entry)], bundle: true, platform: 'browser', format, write: false,
    target: 'es2022', logLevel: 'silent', sourcemap: 'inline', absWorkingDir: REPO,
  });
  return result.outputFiles[0].text;
}

function pageHtml(where: NonNullable<BrowserRun['where']>): string {
  const body = where === 'page' ? '<script src="/bundle.js"></script>' : `<script>
  const worker = new Worker('/bundle.js'${where === 'module-worker' ? ", {type: 'module'}" : ''});
  worker.onmessage = (e) => { if (e.data && e.data.tfmotResult) window.tfmotResult = e.data.tfmotResult; };
  worker.onerror = (e) => { window.tfmotResult = {ok: false, error: 'worker error: ' + e.message}; };
</script>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>tfmot test</title></head><body>${body}</body></html>`;
}

/** Serves the bundle, its page and `files` on 127.0.0.1 at a random port. */
async function serve(bundleText: string, html: string, files: NonNullable<BrowserRun['files']>):
    Promise<{server: http.Server, origin: string, failures: string[]}> {
  const failures: string[] = [];
  const fixed = new Map<string, Uint8Array|string>([['/', html], ['/index.html', html], ['/bundle.js', bundleText],
    ['/favicon.ico', '']]);
  const folders = new Map<string, string>(Object.entries(SERVED_FOLDERS));
  for (const [url, content] of Object.entries(files)) {
    if (content instanceof Uint8Array) {
      fixed.set(url, content);
    } else if (typeof content === 'object') {
      fixed.set(url, JSON.stringify(content.json));
    } else if (statSync(content).isDirectory()) {
      folders.set(url.endsWith('/') ? url : `${url}/`, content);
    } else {
      fixed.set(url, readFileSync(content));
    }
  }
  const server = http.createServer((request, response) => {
    const url = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    let body: Uint8Array|string|undefined = fixed.get(url);
    let name = url === '/' ? 'index.html' : url;
    if (body === undefined) {
      for (const [prefix, folder] of folders) {
        const file = path.join(folder, url.slice(prefix.length));
        if (url.startsWith(prefix) && file.startsWith(folder) && existsSync(file) && statSync(file).isFile()) {
          body = readFileSync(file);
          name = file;
          break;
        }
      }
    }
    if (body === undefined) {
      failures.push(`404 ${url}`);
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {'content-type': MIME[path.extname(name)] ?? 'application/octet-stream',
      'cache-control': 'no-store'});
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, failures};
}

/**
 * Bundles and runs `run.entry` in headless Chromium and returns what it
 * reported. Throws when Chromium is missing (saying to `apt-get install
 * chromium`), the bundle fails, the entry throws, or the page logs an error.
 */
export async function runInBrowser<T>(run: BrowserRun): Promise<BrowserResult<T>> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: the browser tests need it. ` +
        'Install Debian\'s package: sudo apt-get install chromium (.ci/run does this).');
  }
  const where = run.where ?? 'page';
  const bundleText = await bundle(run.entry, where === 'module-worker' ? 'esm' : 'iife');
  const {server, origin, failures} = await serve(bundleText, pageHtml(where), run.files ?? {});
  const browser = await chromium.launch({executablePath: CHROMIUM, args: CHROMIUM_ARGS});
  const console: string[] = [];
  const errors: string[] = [];
  try {
    const context = await browser.newContext();
    context.on('console', (message) => {
      const line = `${message.type()}: ${message.text()}`;
      console.push(line);
      if (message.type() === 'error' && !(run.allowConsole ?? []).some((r) => r.test(line))) {
        errors.push(`console ${line}`);
      }
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => {
      if (!(run.allowMissing ?? []).some((re) => re.test(new URL(r.url()).pathname))) {
        errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
      }
    });
    // A crashed page never reports: fail at once rather than at the suite's hang limit.
    const crashed = new Promise<never>((_, reject) => page.on('crash', () => reject(new Error(
        `Chromium's page crashed running ${run.entry}\nconsole:\n${console.join('\n')}`))));
    crashed.catch(() => undefined);  // Raced below; never an unhandled rejection after the run.
    await page.goto(`${origin}/`);
    const handle = await Promise.race([crashed, page.waitForFunction(
        () => (globalThis as {tfmotResult?: unknown}).tfmotResult, undefined, {timeout: 0, polling: 100})]);
    const outcome = await handle.jsonValue() as EntryOutcome;
    const allowed = (url: string) => url === '/favicon.ico' || (run.allowMissing ?? []).some((r) => r.test(url));
    errors.push(...failures.filter((f) => !allowed(f.slice('404 '.length))));
    if (!outcome.ok) {
      throw new Error(`the entry ${run.entry} failed in Chromium: ${outcome.error}\nconsole:\n${console.join('\n')}`);
    }
    if (errors.length > 0) {
      throw new Error(`${run.entry} in Chromium: ${errors.join('\n')}\nconsole:\n${console.join('\n')}`);
    }
    return {value: outcome.value as T, console, bundleBytes: Buffer.byteLength(bundleText)};
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
}
