import { Readable } from 'node:stream';

import { DatasetError } from '../errors';
import { readCsv, readCsvSample, type CsvRow } from './csv-reader';

/** Feeds text in chunks of `chunkSize` characters, so that every boundary case crosses chunks too. */
function chunked(text: string, chunkSize: number): Readable {
  const chunks: Buffer[] = [];
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

async function parse(text: string, chunkSize = 1 << 16): Promise<{ header: string[]; rows: CsvRow[] }> {
  const { header, batches } = await readCsv(chunked(text, chunkSize));
  const rows: CsvRow[] = [];
  for await (const batch of batches) rows.push(...batch);
  return { header, rows };
}

async function parseError(text: string): Promise<DatasetError> {
  try {
    await parse(text);
  } catch (error) {
    if (error instanceof DatasetError) return error;
    throw error;
  }
  throw new Error(`no DatasetError for ${JSON.stringify(text)}`);
}

const CHUNK_SIZES = [1, 2, 3, 7, 1 << 16];

describe('readCsv', () => {
  it.each(CHUNK_SIZES)(
    'parses quoted fields with commas, doubled quotes and line breaks (chunks of %i bytes)',
    async (size) => {
      const text = 'id,note,amount\r\n1,"a, b",2\r\n2,"say ""hi""",3\r\n3,"two\nlines",4\r\n';
      const { header, rows } = await parse(text, size);
      expect(header).toEqual(['id', 'note', 'amount']);
      expect(rows).toEqual([
        { fields: ['1', 'a, b', '2'], line: 2 },
        { fields: ['2', 'say "hi"', '3'], line: 3 },
        { fields: ['3', 'two\nlines', '4'], line: 4 },
      ]);
    },
  );

  it.each(CHUNK_SIZES)(
    'counts lines after a multi-line field, skips blank lines, keeps blank cells (chunks of %i)',
    async (size) => {
      const text = '\ufeffa,b\n"x\ny",1\n\n   \n,\n2, \n';
      const { header, rows } = await parse(text, size);
      expect(header).toEqual(['a', 'b']);
      expect(rows).toEqual([
        { fields: ['x\ny', '1'], line: 2 },
        { fields: ['', ''], line: 6 },
        { fields: ['2', ' '], line: 7 },
      ]);
    },
  );

  it.each(CHUNK_SIZES)('reads plain lines and quoted ones alike, whatever ends them (chunks of %i)', async (size) => {
    const text = 'a,b,c\n1,2,3\r\n"4",5,6\n7,8,9\r10,"x\ny",11\n\n12,,\r\n,,\n13,14,15';
    const { header, rows } = await parse(text, size);
    expect(header).toEqual(['a', 'b', 'c']);
    expect(rows).toEqual([
      { fields: ['1', '2', '3'], line: 2 },
      { fields: ['4', '5', '6'], line: 3 },
      { fields: ['7', '8', '9'], line: 4 },
      { fields: ['10', 'x\ny', '11'], line: 5 },
      { fields: ['12', '', ''], line: 8 },
      { fields: ['', '', ''], line: 9 },
      { fields: ['13', '14', '15'], line: 10 },
    ]);
  });

  it.each(CHUNK_SIZES)('ends a row at a bare CR inside an otherwise plain LF line (chunks of %i)', async (size) => {
    // The quote-free fast path must hand such lines to the character loop, not take them as one row.
    expect(await parse('a,b\r1,2\n3,4\n', size)).toEqual({
      header: ['a', 'b'],
      rows: [
        { fields: ['1', '2'], line: 2 },
        { fields: ['3', '4'], line: 3 },
      ],
    });
    expect((await parse('a,b\n1,2\r3,4\n5,6\n', size)).rows).toEqual([
      { fields: ['1', '2'], line: 2 },
      { fields: ['3', '4'], line: 3 },
      { fields: ['5', '6'], line: 4 },
    ]);
  });

  it('reads a last row without a line break, and old Mac CR line ends', async () => {
    expect((await parse('a,b\r1,2\r3,4')).rows).toEqual([
      { fields: ['1', '2'], line: 2 },
      { fields: ['3', '4'], line: 3 },
    ]);
  });

  it('keeps multi-byte characters split across chunks', async () => {
    const { rows } = await parse('name\nZoë 😀\n', 1);
    expect(rows[0].fields).toEqual(['Zoë 😀']);
  });

  it('tokenizes one large chunk in slices, with every row the same wherever a slice ends', async () => {
    // A row holding a quoted line break, a doubled quote, CRLF and a surrogate pair; with each padding
    // the 64 Ki-character slice boundary falls at another place in the row.
    const row = (i: number) => `${i},"a\r\nb ""q"" 😀"\r\n`;
    for (let padding = 0; padding < row(1000).length; padding += 1) {
      const text = `id,note${'x'.repeat(padding)}\r\n${Array.from({ length: 4000 }, (_, i) => row(1000 + i)).join('')}`;
      const { header, batches } = await readCsv(
        (async function* () {
          yield text;
        })(),
      );
      const sizes: number[] = [];
      const rows: CsvRow[] = [];
      for await (const batch of batches) {
        sizes.push(batch.length);
        rows.push(...batch);
      }
      expect(header).toEqual(['id', `note${'x'.repeat(padding)}`]);
      expect(rows).toHaveLength(4000);
      rows.forEach((parsed, i) =>
        expect(parsed).toEqual({ fields: [String(1000 + i), 'a\r\nb "q" 😀'], line: 2 + 2 * i }),
      );
      // About 88 k characters: two slices at least, so no batch holds every row.
      expect(text.length).toBeGreaterThan(1 << 16);
      expect(Math.max(...sizes)).toBeLessThan(4000);
    }
  });

  it('hands over the rows before a malformed line in a large chunk before reporting it', async () => {
    // One string chunk of ~150 k characters, malformed at its last line: the rows of the slices before
    // the malformed line's reach the caller before the error (those of its own slice do not).
    const text = `a,b\n${Array.from({ length: 20000 }, (_, i) => `${i},x`).join('\n')}\n"q"z,1\n`;
    const { batches } = await readCsv(
      (async function* () {
        yield text;
      })(),
    );
    const rows: CsvRow[] = [];
    let failure: unknown;
    try {
      for await (const batch of batches) rows.push(...batch);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(DatasetError);
    expect(failure).toMatchObject({ line: 20002, column: 'a' });
    // Rows of at most 8 characters: the two whole 64 Ki slices before the last hold over 16 k of them.
    expect(rows.length).toBeGreaterThan((2 * 65536) / 8);
    rows.forEach((row, i) => expect(row).toEqual({ fields: [String(i), 'x'], line: 2 + i }));
  });

  it('reports a row with too few fields by line and first missing column', async () => {
    const error = await parseError('a,b,c\n1,2,3\n4,5\n');
    expect(error.message).toBe(
      'line 3, column "c": expected 3 fields as in the header, found 2 (this and later columns are missing)',
    );
    expect(error).toMatchObject({ line: 3, column: 'c' });
  });

  it('reports a row with too many fields', async () => {
    const error = await parseError('a,b\n1,2\n3,4,5\n');
    expect(error).toMatchObject({ line: 3, column: 'field 3' });
  });

  it('reports an unterminated quote at the line where the quoted field starts', async () => {
    const error = await parseError('a,b\n1,2\n3,"open\nstill open\n');
    expect(error.message).toBe(
      'line 3, column "b": unterminated quoted field: the closing quote is missing before the end of the file',
    );
  });

  it('reports text after a closing quote', async () => {
    const error = await parseError('a,b\n"x"y,1\n');
    expect(error).toMatchObject({ line: 2, column: 'a' });
  });

  it('reports an empty file and a repeated header name', async () => {
    expect((await parseError('')).message).toBe('line 1: the file is empty: no header row');
    expect((await parseError('\n\n')).message).toBe('line 1: the file is empty: no header row');
    expect((await parseError('a,b,a\n1,2,3\n')).message).toBe(
      'line 1, column "a": the header repeats this column name',
    );
  });
});

describe('readCsvSample', () => {
  it('returns the header and at most the requested rows', async () => {
    const sample = await readCsvSample(chunked('a\n1\n2\n3\n', 2), 2);
    expect(sample).toEqual({ header: ['a'], rows: [['1'], ['2']] });
  });
});
