// The prediction log's storage, free of Nest: the store every replica shares (SQLite or
// PostgreSQL), the background writer that feeds it, and the JSONL copy for log shippers.
export * from './prediction-store';
export { openPredictionStore, parsePredictionStoreUrl, type PredictionStoreLocation } from './open-prediction-store';
export {
  PredictionLogWriter,
  PredictionLogWriterOptionsError,
  type PredictionLogWriterOptions,
  type PredictionLogWriterStats,
} from './prediction-log-writer';
export {
  RotatingJsonlFile,
  RotatingJsonlOptionsError,
  jsonlLine,
  type RotatingJsonlFileOptions,
} from './rotating-jsonl-file';
