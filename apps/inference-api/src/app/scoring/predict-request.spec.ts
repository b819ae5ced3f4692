import { InputError } from '../model/model-errors';
import { parsePredictRequest } from './predict-request';

function inputError(body: unknown): InputError {
  try {
    parsePredictRequest(body, 10);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('parsePredictRequest ids', () => {
  it('takes sane request and user ids beside one customer or a batch', () => {
    expect(parsePredictRequest({ request_id: 'req-1:a/b@c', user_id: 'user 42', tenure: 1 }, 10)).toMatchObject({
      requestId: 'req-1:a/b@c',
      userId: 'user 42',
      single: true,
    });
    expect(parsePredictRequest({ user_id: 42, customers: [{}] }, 10).userId).toBe('42');
    expect(parsePredictRequest({ request_id: 'x'.repeat(128), customers: [{}] }, 10).requestId).toHaveLength(128);
    expect(parsePredictRequest({ user_id: 'u'.repeat(256) }, 10).userId).toHaveLength(256);
  });

  it.each([
    ['request_id', 'a 10,000-character request_id', { request_id: 'r'.repeat(10_000) }],
    ['request_id', 'a request_id of 129 characters', { request_id: 'r'.repeat(129) }],
    ['request_id', 'a request_id with NUL', { request_id: 'req\u0000' }],
    ['request_id', 'a request_id with a newline', { request_id: 'req\nforged log line' }],
    ['request_id', 'a request_id with DEL', { request_id: 'req\u007f' }],
    ['user_id', 'a 10,000-character user_id', { user_id: 'u'.repeat(10_000) }],
    ['user_id', 'a user_id of 257 characters', { user_id: 'u'.repeat(257) }],
    ['user_id', 'an empty user_id', { user_id: '' }],
  ])('refuses with a 400 naming %s: %s', (field, _case, ids) => {
    for (const body of [
      { ...ids, tenure: 1 },
      { ...ids, customers: [{ tenure: 1 }] },
    ]) {
      const error = inputError(body);
      expect(error.field).toBe(field);
      expect(error.status).toBe(400);
    }
  });

  it.each([
    ['NUL', '\u0000', 'U+0000'],
    ['a tab', 'user\t1', 'U+0009'],
    ['a carriage return', 'user\r1', 'U+000D'],
    ['unit separator', 'user\u001f', 'U+001F'],
    ['DEL', 'user\u007f', 'U+007F'],
  ])('refuses a user_id holding %s, naming the character', (_name, userId, code) => {
    const error = inputError({ user_id: userId, tenure: 1 });
    expect(error.field).toBe('user_id');
    expect(error.problem).toBe(`holds the control character ${code}`);
  });
});
