import { parsePredictionStoreUrl } from '../config/prediction-store-url';
import { PostgresDatabase } from './postgres-database';
import type { PredictionStore } from './prediction-store';
import { SqlPredictionStore } from './sql-prediction-store';
import { SqliteDatabase } from './sqlite-database';

/** The store a URL names, not yet connected: call `init()` before using it. */
export function openPredictionStore(url: string): PredictionStore {
  const location = parsePredictionStoreUrl(url);
  return location.kind === 'postgres'
    ? new SqlPredictionStore(
        'postgres',
        location.description,
        new PostgresDatabase(location.connectionString, location.description),
      )
    : new SqlPredictionStore('sqlite', location.description, new SqliteDatabase(location.path));
}
