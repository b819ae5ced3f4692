/** A fitted pipeline that cannot be exported as a faithful ONNX graph; `field` names the offending part. */
export class OnnxExportError extends Error {
  override readonly name = 'OnnxExportError';

  constructor(
    /** Path of the offending field in the `FittedPipeline`, e.g. `coefficients` or `categorical[2].categories`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
