import type { ModelVersionInfo } from '../../src/app/model/loaded-model';

/** What MLflow says of a version, all empty: for unit tests that build a LoadedModel around their own session. */
export function blankVersionInfo(): ModelVersionInfo {
  return {
    runId: undefined,
    source: '',
    metrics: {},
    tags: {},
    signature: [],
    localDir: '',
    cacheDir: '',
    cacheNote: '',
    loadedAt: new Date(),
    loadMs: 0,
    trainStats: undefined,
    trainStatsNote: undefined,
    integerCodedInputs: [],
    packedInputs: [],
    servingCopyNotes: [],
  };
}
