import { InputError } from '../model/model-errors';
import { parseAbReportQuery } from './ab-report-query';

function fieldOf(query: Record<string, unknown>): string {
  try {
    parseAbReportQuery(query);
  } catch (error) {
    if (error instanceof InputError) return error.field;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(query)}`);
}

describe('parseAbReportQuery', () => {
  it('defaults to everything, 95 % intervals and 30 labels per arm', () => {
    expect(parseAbReportQuery({})).toEqual({
      since: undefined,
      until: undefined,
      confidence: 0.95,
      minLabels: 30,
      scoreBins: undefined,
    });
  });

  it('takes ISO times or epoch milliseconds', () => {
    expect(
      parseAbReportQuery({
        since: '2026-11-27T12:00:00Z',
        until: '1800000000000',
        confidence: '0.99',
        min_labels: '5',
      }),
    ).toEqual({
      since: Date.parse('2026-11-27T12:00:00Z'),
      until: 1800000000000,
      confidence: 0.99,
      minLabels: 5,
      scoreBins: undefined,
    });
  });

  it('names the bad parameter', () => {
    expect(fieldOf({ since: 'yesterday' })).toBe('since');
    expect(fieldOf({ since: '2000', until: '1000' })).toBe('until');
    expect(fieldOf({ confidence: '95' })).toBe('confidence');
    expect(fieldOf({ confidence: 'high' })).toBe('confidence');
    expect(fieldOf({ min_labels: '0' })).toBe('min_labels');
    expect(fieldOf({ since: ['1', '2'] })).toBe('since');
  });
});
