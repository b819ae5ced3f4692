import { InputError } from '../model/model-errors';
import { MAX_FEEDBACK_LABELS, parseFeedbackRequest } from './feedback-request';

function problem(body: unknown): { field: string; message: string; status: number } {
  try {
    parseFeedbackRequest(body);
  } catch (error) {
    if (error instanceof InputError) return { field: error.field, message: error.message, status: error.status };
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('parseFeedbackRequest', () => {
  it('takes one label, an array, or { labels }, with booleans as 0/1 and row 0 by default', () => {
    expect(parseFeedbackRequest({ request_id: 'r-1', actual: 1 })).toEqual([{ requestId: 'r-1', row: 0, actual: 1 }]);
    expect(
      parseFeedbackRequest([
        { request_id: 'r-1', actual: false },
        { request_id: 'b', row: 2, actual: true },
      ]),
    ).toEqual([
      { requestId: 'r-1', row: 0, actual: 0 },
      { requestId: 'b', row: 2, actual: 1 },
    ]);
    expect(parseFeedbackRequest({ labels: [{ request_id: 'x', actual: 0 }] })).toEqual([
      { requestId: 'x', row: 0, actual: 0 },
    ]);
  });

  it('names the field and the problem of a bad label', () => {
    expect(problem({ request_id: 'r-1', actual: 2 })).toMatchObject({ field: 'actual', status: 400 });
    expect(problem({ request_id: 'r-1', actual: 2 }).message).toContain(
      'expected the observed outcome 0 or 1 (or false/true), got number 2',
    );
    expect(problem({ actual: 1 })).toMatchObject({ field: 'request_id' });
    expect(
      problem([
        { request_id: 'a', actual: 1 },
        { request_id: 'b', actual: 'yes' },
      ]),
    ).toMatchObject({ field: '[1].actual' });
    expect(problem({ labels: [{ request_id: 'a', actual: 1, row: -1 }] })).toMatchObject({ field: 'labels[0].row' });
    expect(problem({ labels: [{ request_id: 'a', actual: 1, row: 1.5 }] })).toMatchObject({ field: 'labels[0].row' });
    expect(problem({ labels: 'a' })).toMatchObject({ field: 'labels' });
    expect(problem({ labels: [] }).message).toContain('at least one label');
    expect(problem('text')).toMatchObject({ field: '' });
    expect(problem([3])).toMatchObject({ field: '[0]' });
  });

  it('counts a request id in characters and refuses one that is blank, as the document states', () => {
    // 200 emoji are 200 characters (JSON Schema's maxLength) though 400 UTF-16 units.
    expect(parseFeedbackRequest({ request_id: '\u{1F600}'.repeat(200), actual: 1 })).toHaveLength(1);
    expect(problem({ request_id: '\u{1F600}'.repeat(201), actual: 1 })).toMatchObject({ field: 'request_id' });
    expect(problem({ request_id: ' \t\r\n', actual: 1 })).toMatchObject({ field: 'request_id' });
    expect(parseFeedbackRequest({ request_id: '\u00a0', actual: 1 })).toHaveLength(1);
    expect(problem({ request_id: 'r', actual: 1, row: 2_147_483_648 })).toMatchObject({ field: 'row' });
  });

  it(`answers 413 beyond ${MAX_FEEDBACK_LABELS} labels`, () => {
    const labels = Array.from({ length: MAX_FEEDBACK_LABELS + 1 }, (_, index) => ({
      request_id: `r-${index}`,
      actual: 1,
    }));
    expect(problem({ labels })).toMatchObject({ field: 'labels', status: 413 });
  });
});
