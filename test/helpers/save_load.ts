/**
 * Save-and-load round trips for the model tests: in memory, and with
 * tfmot.io.fileSystem in a temporary folder.
 */
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {afterAll, beforeAll} from 'vitest';

import * as tfmot from '../../src/index.js';

/** Saves `model` and loads it back; `tag` names its folder where there is one. */
export type Roundtrip = (model: tfl.LayersModel, tag: string) => Promise<tfl.LayersModel>;

/** The artifacts `model.save` hands to a save handler. */
export async function saveToMemory(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
  return saved!;
}

/**
 * Registers beforeAll/afterAll that make and remove a temporary folder
 * (named with `prefix`), and returns the round trips by name: 'memory' and
 * 'fileSystem' (a folder per tag in the temporary one).
 */
export function useRoundtrips(prefix: string): Array<[string, Roundtrip]> {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await rm(root, {recursive: true, force: true});
  });
  return [
    ['memory', async (model) => tfl.loadLayersModel(tf.io.fromMemory(await saveToMemory(model)))],
    ['fileSystem', async (model, tag) => {
      const dir = join(root, tag);
      await model.save(tfmot.io.fileSystem(dir));
      return tfl.loadLayersModel(tfmot.io.fileSystem(dir));
    }],
  ];
}
