import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('returns the first defined value, counting a throwing check as not yet', async () => {
    let calls = 0;
    const value = await waitFor(
      'the third call',
      () => {
        calls += 1;
        if (calls === 1) throw new Error('not up');
        return calls === 3 ? 'ready' : undefined;
      },
      1_000,
      1,
    );
    expect({ value, calls }).toEqual({ value: 'ready', calls: 3 });
  });

  it('gives up after the timeout, naming what it waited for and the last error', async () => {
    await expect(waitFor('the server', () => Promise.reject(new Error('ECONNREFUSED')), 30, 5)).rejects.toThrow(
      'timed out after 30 ms waiting for the server (last error: Error: ECONNREFUSED)',
    );
  });
});
