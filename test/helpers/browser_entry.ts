/**
 * The browser side of test/helpers/browser.ts: a test entry file calls
 * `runInPage(main)`; what `main` resolves to (JSON-serializable) is handed
 * back to Node as the run's result, and what it throws fails the run. Works
 * on a page and in a (classic or module) Web Worker.
 */

/** The result the harness waits for. */
export type EntryOutcome = {ok: true, value: unknown} | {ok: false, error: string};

function send(outcome: EntryOutcome): void {
  const scope = globalThis as unknown as {document?: unknown, postMessage?: (m: unknown) => void,
    tfmotResult?: EntryOutcome};
  if (scope.document === undefined && typeof scope.postMessage === 'function') {
    scope.postMessage({tfmotResult: outcome});
  } else {
    scope.tfmotResult = outcome;
  }
}

/** Runs `main` and reports its value (or error) to the harness. Call once, at the entry's top level. */
export function runInPage(main: () => Promise<unknown>): void {
  main().then((value) => send({ok: true, value}), (e: unknown) =>
    send({ok: false, error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e)}));
}

/** Fetches a file the harness serves (see `BrowserRun.files`), as bytes. */
export async function fetchBytes(path: string): Promise<Uint8Array> {
  const response = await fetch(path);
  if (!response.ok) {
    throw new Error(`fetch ${path}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** Fetches a JSON file the harness serves. */
export async function fetchJson<T>(path: string): Promise<T> {
  return JSON.parse(new TextDecoder().decode(await fetchBytes(path))) as T;
}
