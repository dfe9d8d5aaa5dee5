/**
 * `tfmot.quantization`: quantization-aware training (QAT), a port of
 * tfmot.quantization.keras with its default 8-bit scheme.
 *
 * `quantizeModel` returns a copy of a float model whose layers are
 * {@link QuantizeWrapper}s: weights, activations and outputs pass
 * fake-quantization that rounds as int8 inference will (TF's nudged
 * ranges, straight-through gradients, BatchNorm folded into the preceding
 * kernel), so fine-tuning recovers the accuracy int8 would lose. The QAT
 * model trains, saves and loads like any layers model, and
 * `tflite.TFLiteConverter` turns it into a full-int8 file with the learned
 * ranges.
 *
 * To quantize only some layers, or a custom layer, annotate them
 * (`quantizeAnnotateLayer` with an optional {@link QuantizeConfig}) and call
 * `quantizeApply`. The schemes {@link Default8BitPrunePreserveQuantizeScheme}
 * and {@link Default8BitClusterPreserveQuantizeScheme} keep what pruning and
 * clustering achieved (PQAT, CQAT, PCQAT; TFMOT's experimental.combine).
 *
 * ```ts
 * const qat = tfmot.quantization.quantizeModel(model);
 * qat.compile({optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy']});
 * await qat.fit(xs, ys, {epochs: 1});
 * ```
 *
 * @packageDocumentation
 */
export {fakeQuantWithMinMaxVars, nudge} from './fake_quant_ops.js';
export type {NudgedRange} from './fake_quant_ops.js';
export {AllValuesQuantizer, FixedQuantizer, LastValueQuantizer, MovingAverageQuantizer, Quantizer} from './quantizers.js';
export type {FixedQuantizerArgs, MovingAverageQuantizerArgs, QuantizerHost, QuantizerVars, RangeQuantizerArgs} from './quantizers.js';
export {Default8BitQuantizeConfig, FixedOutputQuantizeConfig, NoOpQuantizeConfig, QuantizeConfig} from './quantize_config.js';
export type {Default8BitQuantizeConfigArgs, FixedOutputKind} from './quantize_config.js';
export {QuantizeWrapper} from './quantize_wrapper.js';
export type {QuantizeWrapperArgs} from './quantize_wrapper.js';
export {QuantizeLayer} from './quantize_layer.js';
export type {QuantizeLayerArgs} from './quantize_layer.js';
export {QuantizeAnnotate, quantizeAnnotateLayer, quantizeAnnotateModel} from './quantize_annotate.js';
export type {QuantizeAnnotateArgs} from './quantize_annotate.js';
export {Default8BitClusterPreserveQuantizeScheme, Default8BitPrunePreserveQuantizeScheme, Default8BitQuantizeScheme, quantizeApply, quantizeModel} from './quantize_apply.js';
export {PreservingQuantizer} from './preserving_quantizers.js';
export type {Preserve, PreservingQuantizerArgs} from './preserving_quantizers.js';
export {SUPPORTED_LAYERS} from './default_8bit_registry.js';
