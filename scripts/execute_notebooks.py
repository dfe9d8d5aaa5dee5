"""Executes Jupyter notebooks headlessly with nbclient and saves executed copies.

Called by scripts/run_notebooks.mjs, which registers the tslab kernel and sets
JUPYTER_PATH. Exits 1 if any cell fails (tslab reports type errors and thrown
exceptions as cell errors) or if a notebook shows no table or no plot.

usage: execute_notebooks.py --out DIR [--timeout S] [--no-rich-check] NOTEBOOK...
"""
import argparse
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def rich_outputs(nb):
    """The text/html outputs of all cells."""
    for cell in nb.cells:
        for out in cell.get('outputs', []):
            html = out.get('data', {}).get('text/html')
            if html:
                yield html if isinstance(html, str) else ''.join(html)


def cell_error_text(cell):
    """What a failed cell printed: tslab puts its message in the stderr stream, not in the error reply."""
    parts = []
    for out in cell.get('outputs', []):
        if out.get('output_type') == 'stream' and out.get('name') == 'stderr':
            parts.append(out.get('text', ''))
        elif out.get('output_type') == 'error':
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}")
    return ''.join(parts).strip()


def execute(path, out_dir, timeout, rich_check):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name='tslab',
                            resources={'metadata': {'path': os.path.dirname(os.path.abspath(path))}})
    started = time.time()
    failure = None
    try:
        client.execute()
    except CellExecutionError:
        failed = next((c for c in nb.cells if c.cell_type == 'code' and any(
            o.get('output_type') == 'error' for o in c.get('outputs', []))), None)
        if failed is None:  # tslab sometimes records only stderr; take the last executed cell
            failed = max((c for c in nb.cells if c.cell_type == 'code' and c.get('execution_count')),
                         key=lambda c: c['execution_count'], default=None)
        source = failed.source if failed is not None else '?'
        failure = f'cell failed:\n----- source -----\n{source}\n----- error -----\n{cell_error_text(failed) if failed is not None else ""}'
    os.makedirs(out_dir, exist_ok=True)
    nbformat.write(nb, os.path.join(out_dir, os.path.basename(path)))
    if failure is None and rich_check:
        html = list(rich_outputs(nb))
        missing = [name for name, mark in (('table', '<table'), ('plot', '<svg')) if not any(mark in h for h in html)]
        if missing:
            failure = f'ran, but shows no {" and no ".join(missing)} (display them with tslab.display.html)'
    return failure, time.time() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', required=True)
    parser.add_argument('--timeout', type=int, default=600, help='seconds per cell')
    parser.add_argument('--no-rich-check', action='store_true')
    parser.add_argument('notebooks', nargs='+')
    args = parser.parse_args()
    failures = 0
    for path in args.notebooks:
        failure, seconds = execute(path, args.out, args.timeout, not args.no_rich_check)
        if failure:
            failures += 1
            print(f'FAIL {path} ({seconds:.1f} s): {failure}', flush=True)
        else:
            print(f'ok   {path} ({seconds:.1f} s)', flush=True)
    print(f'{len(args.notebooks) - failures} of {len(args.notebooks)} notebooks ran; executed copies in {args.out}')
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
