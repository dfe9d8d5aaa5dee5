/**
 * The CNN the LiteRT latency benchmarks time (TFLite export and structured
 * pruning): 32x32x3 (CIFAR-sized) input -> Conv 32, Conv 32, MaxPool,
 * Conv 64, Conv 64, GlobalAveragePooling, Dense 10, with seeded He-normal
 * random weights.
 */
import * as tfl from '@tensorflow/tfjs-layers';

/** The CNN; `wrapConv` wraps each of the four conv layers (e.g. for pruning). */
export function latencyCnn(wrapConv: (layer: tfl.layers.Layer) => tfl.layers.Layer = (l) => l): tfl.LayersModel {
  const init = (seed: number) => tfl.initializers.heNormal({seed});
  const conv = (filters: number, seed: number, inputShape?: number[]) => wrapConv(tfl.layers.conv2d(
      {inputShape, filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(seed)}));
  return tfl.sequential({layers: [
    conv(32, 1, [32, 32, 3]), conv(32, 2),
    tfl.layers.maxPooling2d({poolSize: 2}),
    conv(64, 3), conv(64, 4),
    tfl.layers.globalAveragePooling2d({}),
    tfl.layers.dense({units: 10, kernelInitializer: init(5)}),
  ]});
}
