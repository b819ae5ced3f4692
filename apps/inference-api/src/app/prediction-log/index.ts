// The prediction log's storage, free of Nest: the store every replica shares (SQLite or
// PostgreSQL), the background writer that feeds it, and the JSONL copy for log shippers.
// (prediction-log.service.ts and prediction-log.module.ts are its Nest adapter, imported directly.)
export * from './prediction-store';
export {
  parsePredictionStoreUrl,
  PredictionStoreConfigError,
  type PredictionStoreLocation,
} from '../config/prediction-store-url';
export { openPredictionStore } from './open-prediction-store';
export { predictionRecordProblem } from './sql-prediction-store';
export {
  DEFAULT_MAX_RETRY_DELAY_MS,
  DROP_REASONS,
  emptyWriterStats,
  PredictionLogWriter,
  PredictionLogWriterOptionsError,
  type DropReason,
  type PredictionLogWriterOptions,
  type PredictionLogWriterStats,
} from './prediction-log-writer';
export {
  RotatingJsonlFile,
  RotatingJsonlOptionsError,
  jsonlLine,
  jsonlText,
  type RotatingJsonlFileOptions,
} from './rotating-jsonl-file';
