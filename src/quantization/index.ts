/** `tfmot.quantization`: quantization-aware training (TFMOT's quantization.keras). */
export {fakeQuantWithMinMaxVars, nudge} from './fake_quant_ops.js';
export {AllValuesQuantizer, FixedQuantizer, LastValueQuantizer, MovingAverageQuantizer, Quantizer} from './quantizers.js';
export type {FixedQuantizerArgs, MovingAverageQuantizerArgs, QuantizerHost, QuantizerVars, RangeQuantizerArgs} from './quantizers.js';
export {Default8BitQuantizeConfig, FixedOutputQuantizeConfig, NoOpQuantizeConfig, QuantizeConfig} from './quantize_config.js';
export type {Default8BitQuantizeConfigArgs} from './quantize_config.js';
export {QuantizeWrapper} from './quantize_wrapper.js';
export type {QuantizeWrapperArgs} from './quantize_wrapper.js';
export {QuantizeLayer} from './quantize_layer.js';
export {QuantizeAnnotate, quantizeAnnotateLayer, quantizeAnnotateModel} from './quantize_annotate.js';
export {Default8BitClusterPreserveQuantizeScheme, Default8BitPrunePreserveQuantizeScheme, Default8BitQuantizeScheme, quantizeApply, quantizeModel} from './quantize_apply.js';
export {PreservingQuantizer} from './preserving_quantizers.js';
export type {Preserve} from './preserving_quantizers.js';
export {SUPPORTED_LAYERS} from './default_8bit_registry.js';
