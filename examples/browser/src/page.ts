/**
 * The demo page: reads the settings (form, or URL parameters such as
 * `?backend=wasm&train=256&epochs=1&run=1`), starts the worker, and shows
 * its progress, the results and a download link for the .tflite file.
 */
import type {DemoResult, RunRequest, WorkerMessage} from '../protocol.js';
import {DEMO_DEFAULTS, DemoSettings} from '../settings.js';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = {
  backend: element<HTMLSelectElement>('backend'),
  train: element<HTMLInputElement>('train'),
  epochs: element<HTMLInputElement>('epochs'),
  prune: element<HTMLInputElement>('prune'),
  run: element<HTMLButtonElement>('run'),
};

/** What the page exposes for tests and the console: the state of the last run. */
interface DemoState {
  status: 'idle' | 'running' | 'done' | 'error';
  result?: DemoResult;
  error?: string;
  /** Wall time of the whole run in the page, ms. */
  elapsedMs?: number;
}
const state: DemoState = {status: 'idle'};
(window as unknown as {demo: DemoState}).demo = state;

/** Integer URL parameter `name`, or the default. */
function intParam(params: URLSearchParams, name: keyof typeof DEMO_DEFAULTS): number {
  const text = params.get(name);
  const value = text == null ? DEMO_DEFAULTS[name] : Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`URL parameter ${name} must be a non-negative integer; received '${text}'.`);
  }
  return value;
}

function initialSettings(): DemoSettings {
  const params = new URLSearchParams(location.search);
  const backend = params.get('backend') ?? '';
  if (!['', 'webgl', 'wasm', 'cpu'].includes(backend)) {
    throw new Error(`URL parameter backend must be webgl, wasm or cpu; received '${backend}'.`);
  }
  const settings = Object.fromEntries(Object.keys(DEMO_DEFAULTS).map(
      (name) => [name, intParam(params, name as keyof typeof DEMO_DEFAULTS)])) as typeof DEMO_DEFAULTS;
  return {...settings, backend, prune: params.get('prune') === '1'};
}

const percent = (x: number) => `${(100 * x).toFixed(1)} %`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function showResult(result: DemoResult, elapsedMs: number): void {
  const rows = [
    ['Float CNN', `TensorFlow.js (${result.backend})`, percent(result.floatAccuracy),
      `${kb(result.floatWeightBytes)} of float32 weights`],
    ['QAT model', `TensorFlow.js (${result.backend})`, percent(result.qatAccuracy), ''],
    ['int8 .tflite', 'LiteRT.js (wasm)', percent(result.int8Accuracy),
      `${kb(result.tflite.length)} (${kb(result.tfliteGzipBytes)} gzipped)`],
  ];
  element('table').replaceChildren(...rows.map((cells) => {
    const tr = document.createElement('tr');
    tr.append(...cells.map((text, i) => {
      const td = document.createElement('td');
      td.textContent = text;
      td.className = i >= 2 ? 'num' : '';
      return td;
    }));
    return tr;
  }));
  const {indexedDb, settings} = result;
  element('summary').textContent = `${result.settings.test} test digits; ` +
      `${settings.prune ? `${percent(result.fileSparsity)} of the file's weights are zeros; ` : ''}` +
      `QAT model saved to ${indexedDb.url} and loaded back ` +
      `${indexedDb.weightsEqual && indexedDb.predictionsEqual ? 'identical' : 'DIFFERENT'}; ` +
      `whole run ${(elapsedMs / 1000).toFixed(1)} s.`;
  const link = element<HTMLAnchorElement>('download');
  const blob = new Blob([result.tflite as Uint8Array<ArrayBuffer>], {type: 'application/octet-stream'});
  link.href = URL.createObjectURL(blob);
  element('results').hidden = false;
}

function appendLog(line: string): void {
  const log = element('log');
  log.textContent += `${line}\n`;
  log.scrollTop = log.scrollHeight;
}

function run(settings: DemoSettings): void {
  state.status = 'running';
  form.run.disabled = true;
  element('error').hidden = true;
  element('results').hidden = true;
  const start = performance.now();
  // A clock that keeps ticking shows the page is not blocked while the worker trains.
  const tick = () => {
    element('clock').textContent = `${((performance.now() - start) / 1000).toFixed(1)} s`;
    if (state.status === 'running') {
      requestAnimationFrame(tick);
    }
  };
  requestAnimationFrame(tick);
  const worker = new Worker('worker.js');
  const finish = () => {
    state.elapsedMs = performance.now() - start;
    form.run.disabled = false;
    worker.terminate();
  };
  worker.onmessage = ({data: message}: MessageEvent<WorkerMessage>) => {
    if (message.type === 'progress') {
      element('stage').textContent = message.stage;
      element<HTMLProgressElement>('progress').value = message.fraction;
    } else if (message.type === 'log') {
      appendLog(message.line);
    } else if (message.type === 'done') {
      finish();
      element('stage').textContent = 'Done';
      element<HTMLProgressElement>('progress').value = 1;
      showResult(message.result, state.elapsedMs!);
      state.result = message.result;
      state.status = 'done';
    } else {
      finish();
      fail(message.message);
    }
  };
  worker.onerror = (event) => {
    finish();
    fail(`The worker failed: ${event.message}`);
  };
  const url = (path: string) => new URL(path, location.href).href;
  const request: RunRequest = {type: 'run', settings,
    urls: {data: url('mnist_subset.bin'), tfjsWasm: url('tfjs-wasm/'), liteRtWasm: url('litert/')}};
  worker.postMessage(request);
}

function fail(message: string): void {
  state.status = 'error';
  state.error = message;
  const box = element('error');
  box.textContent = message;
  box.hidden = false;
}

try {
  const settings = initialSettings();
  form.backend.value = settings.backend;
  form.train.value = String(settings.train);
  form.epochs.value = String(settings.epochs);
  form.prune.checked = settings.prune;
  form.run.onclick = () => run({...settings, backend: form.backend.value, train: Number(form.train.value),
    epochs: Number(form.epochs.value), prune: form.prune.checked});
  if (new URLSearchParams(location.search).get('run') === '1') {
    form.run.click();
  }
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
