/**
 * The acceptance test: QAT of the TFMOT tutorial model on real MNIST
 * digits keeps the float model's accuracy.
 */
import {describe, expect, it} from 'vitest';

import * as tfmot from '../../src/index.js';
import {accuracy, compileForLogits, trainTutorialModel, useMnist} from '../helpers/mnist.js';

const pct = (a: number) => `${(100 * a).toFixed(2)}%`;

describe('QAT on the MNIST tutorial model', () => {
  const mnist = useMnist({numTrain: 8000, numTest: 2000, seed: 7});

  it('keeps test accuracy within 0.5 points after 1 epoch of QAT', async () => {
    const model = await trainTutorialModel(7, 4, mnist.data.train.xs, mnist.trainLabels);
    const floatAcc = accuracy(model, mnist.data.test.xs, mnist.data.test.ys);

    const qat = tfmot.quantization.quantizeModel(model);
    // Fine-tune gently, as the TFMOT tutorial does: QAT adapts the weights to
    // the quantization grid rather than training further.
    compileForLogits(qat, 1e-4);
    await qat.fit(mnist.data.train.xs, mnist.trainLabels,
        {epochs: 1, batchSize: 32, shuffle: false, verbose: 0});
    const qatAcc = accuracy(qat, mnist.data.test.xs, mnist.data.test.ys);

    // The same fine-tuning in float isolates what quantization itself costs.
    compileForLogits(model, 1e-4);
    await model.fit(mnist.data.train.xs, mnist.trainLabels,
        {epochs: 1, batchSize: 32, shuffle: false, verbose: 0});
    const floatTunedAcc = accuracy(model, mnist.data.test.xs, mnist.data.test.ys);

    console.log(`float ${pct(floatAcc)}, QAT ${pct(qatAcc)}, float with the same ` +
        `fine-tuning ${pct(floatTunedAcc)} on ${mnist.data.test.ys.shape[0]} held-out digits`);
    expect(floatAcc).toBeGreaterThan(0.9);
    // Fine-tuning may add accuracy; QAT must not lose more than 0.5 points
    // against the baseline, nor against the same fine-tuning in float.
    expect(qatAcc).toBeGreaterThanOrEqual(floatAcc - 0.005);
    expect(Math.abs(qatAcc - floatTunedAcc)).toBeLessThanOrEqual(0.005);
    model.dispose();
    qat.dispose();
  });
});
