import { categoryFromRaw, numericFromRaw, parseNumericText } from './cell-values';

describe('cell values', () => {
  it.each([
    ['29.85', 29.85],
    [' 12 ', 12],
    ['-0.5', -0.5],
    ['.5', 0.5],
    ['1e3', 1000],
    ['', null],
    [' ', null],
    ['abc', undefined],
    ['0x10', undefined],
    ['Infinity', undefined],
    ['1,5', undefined],
  ])('parseNumericText(%j) is %p', (text, expected) => {
    expect(parseNumericText(text)).toBe(expected);
  });

  it('takes JSON numbers and numeric strings for numeric columns; NaN, null and blanks are missing', () => {
    expect([12.5, '12.5', null, undefined, Number.NaN, '  ', Infinity, true, {}].map(numericFromRaw)).toEqual([
      12.5,
      12.5,
      null,
      null,
      null,
      null,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('turns numbers into decimal text for categorical columns and keeps text as it is', () => {
    expect([0, 1, 1.5, 'Yes', ' Yes', '', null, Infinity, false].map(categoryFromRaw)).toEqual([
      '0',
      '1',
      '1.5',
      'Yes',
      ' Yes',
      null,
      null,
      undefined,
      undefined,
    ]);
  });
});
