import type { InferenceSession } from 'onnxruntime-node';

import { AliasNotFoundError, MlflowConnectionError, type ModelVersion } from '@churn/mlflow-client';

import { blankVersionInfo } from '../../../test/support/blank-version-info';
import { LoadedModel } from './loaded-model';
import { ModelLoadError } from './model-errors';
import { ModelSlot, type ModelSlotDeps } from './model-slot';

function version(v: string): ModelVersion {
  return { name: 'm', version: v, source: `mlflow-artifacts:/${v}`, status: 'READY' };
}

function fakeModel(v: string): { model: LoadedModel; release: jest.Mock } {
  const release = jest.fn(async () => undefined);
  const session = { release } as unknown as InferenceSession;
  const model = new LoadedModel(
    { name: 'm', alias: 'production', version: v },
    blankVersionInfo(),
    { columns: [], probabilityOutput: 'probability', probabilityWidth: 1, labelOutput: 'label' },
    session,
  );
  return { model, release };
}

/** A slot whose alias points at `pointer.version` and whose loads are controlled by the test. */
function slotWith(
  pointer: { version: string },
  load: (v: ModelVersion) => Promise<LoadedModel>,
  extra: Partial<ModelSlotDeps> = {},
) {
  const loadVersion = jest.fn(load);
  const slot = new ModelSlot('m', 'production', {
    resolveVersion: async () => version(pointer.version),
    loadVersion,
    ...extra,
  });
  return { slot, loadVersion };
}

describe('ModelSlot', () => {
  it('loads the version the alias points to and serves it', async () => {
    const { slot } = slotWith({ version: '1' }, async (v) => fakeModel(v.version).model);
    expect(() => slot.acquire()).toThrow(/no version of m@production is loaded yet/);
    const status = await slot.refresh('startup');
    expect(status).toMatchObject({ state: 'ready', version: '1', aliasVersion: '1', lastError: null });
    const lease = slot.acquire();
    expect(lease.ref.version).toBe('1');
    lease.release();
  });

  it('absorbs duplicate triggers for the version already loading (one load)', async () => {
    let finish: (model: LoadedModel) => void = () => undefined;
    const { slot, loadVersion } = slotWith(
      { version: '1' },
      () => new Promise<LoadedModel>((resolve) => (finish = resolve)),
    );
    const triggers = [slot.refresh('poll'), slot.refresh('admin'), slot.refresh('webhook')];
    await new Promise((resolve) => setImmediate(resolve));
    finish(fakeModel('1').model);
    const statuses = await Promise.all(triggers);
    expect(loadVersion).toHaveBeenCalledTimes(1);
    expect(statuses.map((s) => s.version)).toEqual(['1', '1', '1']);
    await slot.refresh('poll');
    expect(loadVersion).toHaveBeenCalledTimes(1);
  });

  it('lets in-flight requests finish on the version they started with, then frees it', async () => {
    const pointer = { version: '1' };
    const first = fakeModel('1');
    const { slot } = slotWith(pointer, async (v) => (v.version === '1' ? first.model : fakeModel(v.version).model));
    await slot.refresh('startup');
    const lease = slot.acquire();
    pointer.version = '2';
    await slot.refresh('admin');
    expect(slot.current?.ref.version).toBe('2');
    expect(lease.ref.version).toBe('1');
    expect(first.release).not.toHaveBeenCalled();
    lease.release();
    expect(first.release).toHaveBeenCalledTimes(1);
  });

  it('keeps the previous version when a new one fails, and does not retry it before the back-off ends', async () => {
    let now = 1_000_000;
    const pointer = { version: '1' };
    const { slot, loadVersion } = slotWith(
      pointer,
      async (v) => {
        if (v.version === '2') throw new ModelLoadError('session', 'm v2: protobuf parsing failed');
        return fakeModel(v.version).model;
      },
      { now: () => now, failureBackoff: { initialMs: 5000, maxMs: 60_000 } },
    );
    await slot.refresh('startup');
    pointer.version = '2';
    const failed = await slot.refresh('admin');
    expect(failed).toMatchObject({
      state: 'ready',
      version: '1',
      aliasVersion: '2',
      lastError: { version: '2', stage: 'session' },
    });
    expect(failed.lastError?.retryAt?.getTime()).toBe(now + 5000);
    now += 4999;
    await slot.refresh('poll');
    expect(loadVersion).toHaveBeenCalledTimes(2);
    now += 1;
    const again = await slot.refresh('poll');
    expect(loadVersion).toHaveBeenCalledTimes(3);
    expect(again.lastError?.retryAt?.getTime()).toBe(now + 10_000);
    pointer.version = '1';
    expect(await slot.refresh('poll')).toMatchObject({ version: '1', lastError: null });
  });

  it('does not swap in a version the alias moved away from while it loaded', async () => {
    const pointer = { version: '1' };
    let finishTwo: (model: LoadedModel) => void = () => undefined;
    const two = fakeModel('2');
    const { slot } = slotWith(pointer, (v) =>
      v.version === '2'
        ? new Promise<LoadedModel>((resolve) => (finishTwo = resolve))
        : Promise.resolve(fakeModel(v.version).model),
    );
    await slot.refresh('startup');
    pointer.version = '2';
    const moving = slot.refresh('admin');
    await new Promise((resolve) => setImmediate(resolve));
    pointer.version = '3';
    const movedAgain = slot.refresh('admin');
    await new Promise((resolve) => setImmediate(resolve));
    finishTwo(two.model);
    await Promise.all([moving, movedAgain]);
    expect(slot.current?.ref.version).toBe('3');
    expect(two.release).toHaveBeenCalledTimes(1);
  });

  it('keeps serving when MLflow is unreachable, and reports a missing alias', async () => {
    let failure: Error | undefined;
    const unreachable = new ModelSlot('m', 'production', {
      resolveVersion: async () => {
        if (failure) throw failure;
        return version('1');
      },
      loadVersion: async (v) => fakeModel(v.version).model,
    });
    await unreachable.refresh('startup');
    failure = new MlflowConnectionError('fetch failed (connect ECONNREFUSED)');
    expect(await unreachable.refresh('poll')).toMatchObject({
      state: 'ready',
      version: '1',
      lastError: { stage: 'resolve', version: undefined },
    });
    failure = new AliasNotFoundError('m', 'production', {});
    expect((await unreachable.refresh('poll')).lastError?.message).toBe(
      "registered model 'm' has no alias 'production'",
    );
    expect(unreachable.acquire().ref.version).toBe('1');
  });
});
