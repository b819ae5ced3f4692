import { InputError } from '../model/model-errors';
import { scoreDistributions } from './score-distribution';

async function* rows(
  entries: Array<[variant: 'champion' | 'challenger' | 'production', probability: number]>,
): AsyncIterable<{ variant: 'champion' | 'challenger' | 'production'; probability: number; prediction: 0 | 1 }> {
  for (const [variant, probability] of entries) yield { variant, probability, prediction: probability >= 0.5 ? 1 : 0 };
}

describe('scoreDistributions', () => {
  it('bins each arm over [0, 1], the last bin holding 1, and counts positives', async () => {
    const result = await scoreDistributions(
      rows([
        ['champion', 0],
        ['champion', 0.24],
        ['champion', 0.5],
        ['champion', 1],
        ['challenger', 0.99],
        ['production', 0.3],
      ]),
      4,
    );
    expect(result).toEqual({
      bins: 4,
      champion: { count: 4, positives: 2, counts: [2, 0, 1, 1] },
      challenger: { count: 1, positives: 1, counts: [0, 0, 0, 1] },
    });
  });

  it('refuses a bin count outside 2..100, naming score_bins', async () => {
    await expect(scoreDistributions(rows([]), 1)).rejects.toThrow(InputError);
    await expect(scoreDistributions(rows([]), 1.5)).rejects.toThrow(/score_bins/);
  });
});
