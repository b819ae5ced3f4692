export {
  exportPipelineToOnnx,
  ONNX_DEFAULT_OPSET,
  ONNX_IR_VERSION,
  ONNX_LABEL_OUTPUT,
  ONNX_ML_OPSET,
  ONNX_PROBABILITY_OUTPUT,
} from './export-pipeline';
export { OnnxExportError } from './onnx-export-error';
export { encodeVarint, ProtobufEncodingError, ProtobufWriter } from './protobuf-writer';
export { encodeOnnxModel, TensorElementType, type OnnxModel } from './onnx-proto';
