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

  it('takes exactly what the OpenAPI document states: an empty value or another spelling is refused', () => {
    expect(parseAbReportQuery({ since: '2026-11-27', until: '2026-11-27T13:00+01:00' })).toMatchObject({
      since: Date.parse('2026-11-27T00:00:00Z'),
      until: Date.parse('2026-11-27T12:00:00Z'),
    });
    // Date.parse would take each of these; the document's pattern and ranges do not.
    for (const [name, value] of [
      ['since', ''],
      ['since', '2026-11-27T24:00:00Z'],
      ['until', 'Fri, 27 Nov 2026 12:00:00 GMT'],
      ['until', ' 1800000000000'],
      ['confidence', ''],
      ['confidence', ' 0.9'],
      ['confidence', '0x1'],
      ['min_labels', '1e3'],
      ['score_bins', '2.0'],
    ])
      expect({ name, value, field: fieldOf({ [name]: value }) }).toEqual({ name, value, field: name });
  });
});
