/**
 * Brings one registered version from MLflow to a warmed, checked `LoadedModel`:
 * download (cached) → MLmodel → onnxruntime session → contract check → warm-up with the input
 * example → the integer-coded serving copy (integer-coded-categories.ts) in its place when the model
 * allows one, then the packed copy of what is served (packed-inputs.ts), each only when it answers
 * the warm-up rows and a probe exactly as the original (serving-copy-check.ts). Each step fails with a
 * `ModelLoadError` naming its stage; nothing half-loaded escapes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { InferenceSession } from 'onnxruntime-node';

import { parseTrainingStatistics, type TrainingStatistics } from '@churn/drift-stats';
import { MlflowError, tagsToRecord, type MlflowClient, type ModelVersion } from '@churn/mlflow-client';

import type { FeatureBatch, FeatureBatchBuilder } from './feature-batch';
import { integerCodedCategories, type IntegerCodedModel } from './integer-coded-categories';
import { LoadedModel, type ModelRef, type ModelVersionInfo, type Scores } from './loaded-model';
import { parseMlmodel, type MlmodelInfo } from './mlmodel';
import type { ModelCache } from './model-cache';
import { checkModelContract, type ModelContract } from './model-contract';
import { InputError, ModelLoadError, ModelOutputError } from './model-errors';
import { oneHotCategoriesByInput, OnnxDecodeError } from './onnx-categories';
import { packedInputs, type PackedInputsModel } from './packed-inputs';
import { probeRecords, sameProbeScores, sameScores, scoreProbe, type ProbeScores } from './serving-copy-check';
import { packedInputPlans } from './session-feeds';
import { SESSION_OPTIONS } from './session-options';

export interface ModelLoaderDeps {
  client: MlflowClient;
  cache: ModelCache;
}

/** Loads `version` for the slot `alias`. @throws {ModelLoadError} */
export async function loadModelVersion(
  version: ModelVersion,
  alias: string,
  deps: ModelLoaderDeps,
): Promise<LoadedModel> {
  const started = performance.now();
  const ref: ModelRef = { name: version.name, alias, version: version.version };
  const where = `${version.name} v${version.version}`;

  const cached = await step('download', where, async () => {
    const downloadUri = await deps.client.modelVersions.getDownloadUri({
      name: version.name,
      version: version.version,
    });
    return deps.cache.ensure({
      name: version.name,
      version: version.version,
      runId: version.run_id,
      source: version.source,
      downloadUri,
    });
  });
  const mlmodel = await step('mlmodel', where, async () =>
    parseMlmodel(await readFile(join(cached.modelDir, 'MLmodel'), 'utf8')),
  );
  const onnxBytes = await step('mlmodel', where, () => readFile(join(cached.modelDir, mlmodel.onnxFile)));

  const session = await step('session', where, () => openSession(onnxBytes));
  try {
    const categories = await step('session', where, async () =>
      decodeOrRefuse(() => oneHotCategoriesByInput(onnxBytes)),
    );
    const contract = await step('contract', where, async () =>
      checkModelContract(mlmodel.inputs, session.inputMetadata, session.outputMetadata, categories),
    );
    const { trainStats, trainStatsNote } = await readTrainStats(cached.trainStatsPath);
    const tags = tagsToRecord(version.tags);
    const info: ModelVersionInfo = {
      runId: version.run_id,
      source: version.source,
      metrics: numericTags(tags),
      tags,
      signature: mlmodel.inputs,
      localDir: cached.modelDir,
      cacheDir: cached.dir,
      cacheNote: cached.note,
      loadedAt: new Date(),
      loadMs: 0,
      trainStats,
      trainStatsNote,
      integerCodedInputs: [],
      packedInputs: [],
      servingCopyNotes: [],
    };
    const original = new LoadedModel(ref, info, contract, session);
    const example = await step('warmup', where, () => readExample(cached.modelDir, mlmodel));
    const exampleScores = await step('warmup', where, async () =>
      warmUp(original, exampleBatch(original.builder, contract, example)),
    );
    const coded = await step('session', where, async () => decodeOrRefuse(() => integerCodedCategories(onnxBytes)));
    const model = await withServingCopies(original, onnxBytes, coded, { example, exampleScores });
    model.info.loadedAt = new Date();
    model.info.loadMs = performance.now() - started;
    return model;
  } catch (error) {
    await session.release().catch(() => undefined);
    throw error;
  }
}

function openSession(onnxBytes: Uint8Array): Promise<InferenceSession> {
  return InferenceSession.create(onnxBytes, { ...SESSION_OPTIONS });
}

function decodeOrRefuse<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof OnnxDecodeError)
      throw new ModelLoadError('session', `model.onnx cannot be read: ${error.message}`);
    throw error;
  }
}

/** A serving copy of a loaded version: its bytes, the contract it is fed by, and what `/model` says of it. */
interface ServingCopy {
  onnxBytes: Uint8Array;
  contract: ModelContract;
  info: ModelVersionInfo;
}

/** The integer-coded copy: its categorical inputs take codes (integer-coded-categories.ts). */
function integerCodedCopy(original: LoadedModel, coded: IntegerCodedModel): ServingCopy {
  const columns = original.contract.columns.map((plan) => {
    const categoryCodes = coded.codesByInput.get(plan.name);
    return categoryCodes ? { ...plan, categoryCodes } : plan;
  });
  return {
    onnxBytes: coded.onnxBytes,
    contract: { ...original.contract, columns },
    info: { ...original.info, integerCodedInputs: [...coded.codesByInput.keys()] },
  };
}

/**
 * The packed copy of the version served so far (packed-inputs.ts); `undefined` when there is none.
 * Throws when its groups do not hold what the columns are fed as, so the refusal gets a note.
 */
function packedInputsCopy(current: LoadedModel, packed: PackedInputsModel | undefined): ServingCopy | undefined {
  if (packed === undefined) return undefined;
  const plans = packedInputPlans(current.contract.columns, packed.groups);
  if (plans === undefined)
    throw new Error(
      "its packed groups do not hold what the model's columns are fed as (a member that is no column, or another element type or shape)",
    );
  return {
    onnxBytes: packed.onnxBytes,
    contract: { ...current.contract, packedInputs: plans },
    info: {
      ...current.info,
      packedInputs: packed.groups.flatMap((group) => group.members.map((member) => member.name)),
    },
  };
}

/** What the original answered, which every serving copy must answer alike (serving-copy-check.ts). */
interface CopyCheck {
  example: ExampleRows;
  exampleScores: Scores;
  probe: Record<string, unknown>[];
  probeScores: ProbeScores;
}

/**
 * The version as it will be served: the integer-coded copy in place of the original when there is one,
 * then the packed copy of that, each only when it passes the check. Never throws for a copy: the
 * original, which passed its own warm-up, is a correct server, only a slower one. The model returned
 * owns the only session left open, and its `servingCopyNotes` say why a copy made was not taken.
 */
async function withServingCopies(
  original: LoadedModel,
  onnxBytes: Uint8Array,
  coded: IntegerCodedModel | undefined,
  warmedUp: Pick<CopyCheck, 'example' | 'exampleScores'>,
): Promise<LoadedModel> {
  const probe = probeRecords(original.contract.columns);
  let probeScores: ProbeScores;
  try {
    probeScores = await scoreProbe(original, probe);
  } catch (error) {
    // The original cannot score the probe (say, NaN for values it never saw): no copy can be checked.
    original.info.servingCopyNotes = [
      `no serving copy: model.onnx cannot score the check's probe (${messageOf(error)})`,
    ];
    return original;
  }
  const check: CopyCheck = { ...warmedUp, probe, probeScores };
  const notes: string[] = [];
  const served = (coded &&
    (await swapInCopy(original, 'integer-coded', () => integerCodedCopy(original, coded), check, notes))) ?? {
    model: original,
    onnxBytes,
  };
  const packed = await swapInCopy(
    served.model,
    'packed',
    () => packedInputsCopy(served.model, packedInputs(served.onnxBytes)),
    check,
    notes,
  );
  const model = (packed ?? served).model;
  model.info.servingCopyNotes = notes;
  return model;
}

/**
 * A serving copy in place of the version served so far, when it answers the warm-up rows and the
 * probe exactly as the original did (same labels, bit-identical probabilities); then the version
 * served so far is disposed. Otherwise `undefined`, and the version served so far goes on: any
 * failure to make, open or run the copy counts as "no copy", its session is released, and `notes`
 * gets why (nothing when there is no copy to make).
 */
async function swapInCopy(
  current: LoadedModel,
  kind: 'integer-coded' | 'packed',
  makeCopy: () => ServingCopy | undefined,
  check: CopyCheck,
  notes: string[],
): Promise<{ model: LoadedModel; onnxBytes: Uint8Array } | undefined> {
  let session: InferenceSession | undefined;
  let candidate: LoadedModel | undefined;
  try {
    const copy = makeCopy();
    if (copy === undefined) return undefined;
    session = await openSession(copy.onnxBytes);
    candidate = new LoadedModel(current.ref, copy.info, copy.contract, session);
    const exampleScores = await warmUp(candidate, exampleBatch(candidate.builder, copy.contract, check.example));
    const probeScores = await scoreProbe(candidate, check.probe);
    if (sameScores(exampleScores, check.exampleScores) && sameProbeScores(probeScores, check.probeScores)) {
      current.dispose();
      return { model: candidate, onnxBytes: copy.onnxBytes };
    }
    notes.push(
      `${kind} copy not served: it scores the warm-up rows or the probe differently from the graph it was made from`,
    );
  } catch (error) {
    // No copy: the version served so far keeps serving.
    notes.push(`${kind} copy not served: ${messageOf(error)}`);
  }
  if (candidate) candidate.dispose();
  else await session?.release().catch(() => undefined);
  return undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function step<T>(stage: ModelLoadError['stage'], where: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ModelLoadError)
      throw new ModelLoadError(error.stage, `${where}: ${error.message}`, { cause: error });
    const message = error instanceof MlflowError || error instanceof Error ? error.message : String(error);
    throw new ModelLoadError(stage, `${where}: ${stage} failed: ${message}`, { cause: error });
  }
}

/** The version's saved input example, parsed; `undefined` when it has none. */
type ExampleRows = unknown;

async function readExample(modelDir: string, mlmodel: MlmodelInfo): Promise<ExampleRows> {
  if (!mlmodel.inputExample) return undefined;
  try {
    return JSON.parse(await readFile(join(modelDir, mlmodel.inputExample.path), 'utf8'));
  } catch (error) {
    throw new ModelLoadError(
      'warmup',
      `input example ${mlmodel.inputExample.path} cannot be read: ${(error as Error).message}`,
    );
  }
}

/**
 * The rows to warm up with: the version's saved input example, run through the same request path
 * as real traffic; a version without one is warmed with a single all-missing row.
 */
function exampleBatch(builder: FeatureBatchBuilder, contract: ModelContract, example: ExampleRows): FeatureBatch {
  if (example === undefined)
    return builder.fromRecords(
      [Object.fromEntries(contract.columns.map((column) => [column.name, null]))],
      () => 'warm-up row',
    );
  try {
    if (isSplitFrame(example)) {
      const { columns, data } = example;
      return builder.fromColumns(
        columns,
        data.length,
        (row, column) => data[row]?.[column],
        (row, column) => `input example row ${row}, column ${column}`,
        'input example',
      );
    }
    if (Array.isArray(example))
      return builder.fromRecords(example, (row, column) => `input example row ${row}, column ${column}`);
  } catch (error) {
    if (error instanceof InputError)
      throw new ModelLoadError('warmup', `the input example does not fit the signature: ${error.message}`);
    throw error;
  }
  throw new ModelLoadError('warmup', 'the input example is neither split nor records orient');
}

function isSplitFrame(value: unknown): value is { columns: string[]; data: unknown[][] } {
  if (typeof value !== 'object' || value === null) return false;
  const frame = value as { columns?: unknown; data?: unknown };
  return Array.isArray(frame.columns) && Array.isArray(frame.data) && frame.data.every(Array.isArray);
}

/**
 * Scores the batch and checks the answer has one finite probability in [0, 1] per row: a version
 * whose own input example scores NaN or out of range is never swapped in (the old one keeps serving).
 */
async function warmUp(model: LoadedModel, batch: FeatureBatch): Promise<Scores> {
  let scores: Scores;
  try {
    scores = await model.score(batch);
  } catch (error) {
    if (!(error instanceof ModelOutputError)) throw error;
    throw new ModelLoadError(
      'warmup',
      `the model returned probability ${error.probability} for example row ${error.row}${error.invalidRows > 1 ? ` (and ${error.invalidRows - 1} more rows)` : ''}; probabilities must be within [0, 1]`,
    );
  }
  if (scores.probabilities.length !== batch.rowCount) {
    throw new ModelLoadError(
      'warmup',
      `the model returned ${scores.probabilities.length} probabilities for ${batch.rowCount} rows; each output must have one entry per row`,
    );
  }
  return scores;
}

async function readTrainStats(
  path: string | undefined,
): Promise<{ trainStats: TrainingStatistics | undefined; trainStatsNote: string | undefined }> {
  if (!path) return { trainStats: undefined, trainStatsNote: 'the run has no train_stats.json' };
  try {
    return { trainStats: parseTrainingStatistics(JSON.parse(await readFile(path, 'utf8'))), trainStatsNote: undefined };
  } catch (error) {
    return { trainStats: undefined, trainStatsNote: `train_stats.json is unusable: ${(error as Error).message}` };
  }
}

/** Version tags that hold identifiers, not measurements, even when they happen to be all digits. */
const IDENTIFIER_TAGS = new Set(['run_id', 'data_sha256']);

function numericTags(tags: Record<string, string>): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [key, value] of Object.entries(tags)) {
    if (IDENTIFIER_TAGS.has(key)) continue;
    const number = value.trim() === '' ? Number.NaN : Number(value);
    if (Number.isFinite(number)) metrics[key] = number;
  }
  return metrics;
}
