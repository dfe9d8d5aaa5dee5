// Executes the tslab notebooks headlessly with Jupyter (Debian's python3-nbclient
// and jupyter-client; see README "Notebooks") and fails on any cell error.
//
// usage: node scripts/run_notebooks.mjs [--out DIR] [--timeout SECONDS_PER_CELL] [--no-rich-check] [NOTEBOOK...]
// Default: every examples/notebooks/*.ipynb, executed copies in build/notebooks/.
// Needs the built package (npm run build): notebooks import it by name, as users do.
import {spawnSync} from 'node:child_process';
import {existsSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args.splice(i, 2)[1];
};
const outDir = resolve(flag('--out') ?? join(root, 'build', 'notebooks'));
const timeout = flag('--timeout');  // seconds per cell
const passThrough = [...args.filter((a) => a.startsWith('--')), ...(timeout ? ['--timeout', timeout] : [])];
let notebooks = args.filter((a) => !a.startsWith('--')).map((a) => resolve(a));
if (notebooks.length === 0) {
  const dir = join(root, 'examples', 'notebooks');
  notebooks = readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort().map((f) => join(dir, f));
}

// Debian's python: the python3 first on PATH may be another one without Jupyter.
const python = process.env.NOTEBOOK_PYTHON ?? '/usr/bin/python3';
const probe = spawnSync(python, ['-c', 'import nbclient, nbformat, jupyter_client'], {encoding: 'utf8'});
if (probe.status !== 0) {
  console.error(`${python} cannot import nbclient/jupyter_client; install them with\n` +
      '  apt-get install -y --no-install-recommends python3-nbclient jupyter-client');
  process.exit(2);
}
if (!existsSync(join(root, 'dist', 'src', 'index.js'))) {
  console.error('dist/ is missing: run `npm run build` first (notebooks import the built package)');
  process.exit(2);
}

// The kernel spec, written here instead of `tslab install` (which needs IPython).
const jupyterDir = join(root, '.jupyter');
mkdirSync(join(jupyterDir, 'kernels', 'tslab'), {recursive: true});
mkdirSync(join(jupyterDir, 'runtime'), {recursive: true});
writeFileSync(join(jupyterDir, 'kernels', 'tslab', 'kernel.json'), JSON.stringify({
  argv: [join(root, 'node_modules', '.bin', 'tslab'), 'kernel', '--config-path', '{connection_file}'],
  display_name: 'TypeScript', language: 'typescript',
}));

// Notebooks `import ... from 'tfjs-model-optimization'`. In this repository the
// package is not in node_modules, so link it there for the run (and only then:
// npm and other tools need not see a link to the project inside itself).
const selfLink = join(root, 'node_modules', 'tfjs-model-optimization');
const linked = !existsSync(selfLink);
if (linked) symlinkSync('..', selfLink, 'dir');
let status;
try {
  const env = {...process.env, JUPYTER_PATH: jupyterDir, JUPYTER_RUNTIME_DIR: join(jupyterDir, 'runtime'),
    JUPYTER_DATA_DIR: jupyterDir, JUPYTER_CONFIG_DIR: jupyterDir, JUPYTER_PLATFORM_DIRS: '1'};
  const run = spawnSync(python, [join(root, 'scripts', 'execute_notebooks.py'), '--out', outDir, ...passThrough, ...notebooks],
      {stdio: 'inherit', env});
  status = run.status ?? 1;
} finally {
  if (linked && lstatSync(selfLink).isSymbolicLink()) rmSync(selfLink);
}
process.exit(status);
