import { DriftInputError } from '../../src';

/** Runs `run` and checks it threw a {@link DriftInputError} naming `field`, with a message matching `message`. */
export function expectDriftInputError(run: () => unknown, field: string, message: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(DriftInputError);
  expect((thrown as DriftInputError).field).toBe(field);
  expect((thrown as DriftInputError).message).toMatch(message);
}
