/**
 * A streaming CSV reader (RFC 4180 plus what real exports do): comma-separated, fields optionally
 * quoted with `"`, `""` for a quote inside a quoted field, quoted fields may hold commas and line
 * breaks, rows end with LF, CRLF or CR, blank lines are skipped, a UTF-8 byte order mark is dropped.
 *
 * Text arrives chunk by chunk and leaves as rows; only the current chunk and the unfinished row are
 * held, never the whole file, so a million-row file costs no more memory than a small one.
 */
import { StringDecoder } from 'node:string_decoder';

import { DatasetError } from '../errors';
import { isBlankText } from './cell-values';

/** One data row of a CSV, with the physical line it starts on (1-based, the header is line 1). */
export interface CsvRow {
  fields: string[];
  line: number;
}

/** The header and data rows of a CSV, rows in batches as they are parsed (one batch per slice of at most 64 Ki characters). */
export interface CsvRowStream {
  header: string[];
  /** Line of the header (after any blank lines before it). */
  headerLine: number;
  batches: AsyncGenerator<CsvRow[]>;
}

/** Where CSV text comes from: a Node readable stream, or any async iterable of chunks. */
export type CsvSource = AsyncIterable<Buffer | Uint8Array | string>;

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BYTE_ORDER_MARK = '\ufeff';
/**
 * Most text tokenized into one batch of rows, however large the chunk read. A batch's rows are
 * garbage once the caller has read them; kept small, they die in V8's young generation instead of
 * surviving its collections and being copied to the old one.
 */
const MAX_CHARS_PER_BATCH = 64 * 1024;

const enum FieldState {
  /** At the start of a field or inside an unquoted one. */
  Unquoted,
  /** Inside a quoted field. */
  Quoted,
  /** Inside a quoted field, just after a `"`: either the closing quote or the first of `""`. */
  QuoteInQuoted,
  /** After a closing quote: only a comma or a line end may follow. */
  AfterClosingQuote,
}

/**
 * The incremental tokenizer behind {@link readCsv}: feed it text with {@link push}, call
 * {@link finish} at the end; completed rows are appended to the array passed in. The first row is
 * taken as the header and names the columns in error messages.
 */
export class CsvTokenizer {
  private state = FieldState.Unquoted;
  private fields: string[] = [];
  private field = '';
  private rowHasQuotedField = false;
  private line = 1;
  private rowStartLine = 1;
  private quoteStartLine = 1;
  private skipLineFeed = false;
  private atStartOfText = true;

  /** The first row, which names the columns in error messages. */
  private header: string[] | undefined;

  /** Tokenizes one chunk of text, appending every row it completes to `rows`. */
  push(chunk: string, rows: CsvRow[]): void {
    let text = chunk;
    if (this.atStartOfText && text.length > 0) {
      this.atStartOfText = false;
      if (text.startsWith(BYTE_ORDER_MARK)) text = text.slice(1);
    }
    const length = text.length;
    let index = this.atRowStart() ? this.pushPlainLines(text, 0, rows) : 0;
    let fieldStart = index;
    while (index < length) {
      const code = text.charCodeAt(index);
      if (this.skipLineFeed) {
        this.skipLineFeed = false;
        if (code === LF) {
          index += 1;
          fieldStart = index;
          continue;
        }
      }
      switch (this.state) {
        case FieldState.Unquoted:
          if (code === COMMA) {
            this.endField(text.slice(fieldStart, index));
            fieldStart = index + 1;
          } else if (code === LF || code === CR) {
            this.endField(text.slice(fieldStart, index));
            this.endRow(rows, code);
            if (code === LF) {
              index = this.pushPlainLines(text, index + 1, rows);
              fieldStart = index;
              continue;
            }
            fieldStart = index + 1;
          } else if (code === QUOTE && index === fieldStart && this.field.length === 0) {
            this.state = FieldState.Quoted;
            this.rowHasQuotedField = true;
            this.quoteStartLine = this.line;
            fieldStart = index + 1;
          }
          break;
        case FieldState.Quoted:
          if (code === QUOTE) {
            this.field += text.slice(fieldStart, index);
            this.state = FieldState.QuoteInQuoted;
            fieldStart = index + 1;
          } else if (code === LF) {
            this.line += 1;
          }
          break;
        case FieldState.QuoteInQuoted:
          if (code === QUOTE) {
            this.state = FieldState.Quoted;
            fieldStart = index;
            break;
          }
          this.state = FieldState.AfterClosingQuote;
          continue;
        case FieldState.AfterClosingQuote:
          if (code === COMMA) {
            this.endField('');
            this.state = FieldState.Unquoted;
            fieldStart = index + 1;
          } else if (code === LF || code === CR) {
            this.endField('');
            this.state = FieldState.Unquoted;
            this.endRow(rows, code);
            fieldStart = index + 1;
          } else {
            throw new DatasetError(
              `unexpected character ${JSON.stringify(text[index])} after the closing quote of a quoted field`,
              { line: this.line, column: this.columnLabel(this.fields.length) },
            );
          }
          break;
      }
      index += 1;
    }
    if (this.state === FieldState.Unquoted || this.state === FieldState.Quoted) {
      this.field += text.slice(fieldStart, length);
    }
  }

  /**
   * Tokenizes the complete lines from `from` on that hold no quote and no CR but a last one (most
   * lines of most files) with native search and split, which run at full speed before V8 has
   * optimised the character loop; stops at the first other line, or at the unfinished end of the
   * chunk, for the character loop to read.
   * @returns where it stopped
   */
  private pushPlainLines(text: string, from: number, rows: CsvRow[]): number {
    let start = from;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end < 0) return start;
      const line = text.slice(start, end > start && text.charCodeAt(end - 1) === CR ? end - 1 : end);
      if (line.includes('"') || line.includes('\r')) return start;
      this.fields = line.split(',');
      this.endRow(rows, LF);
      start = end + 1;
    }
  }

  /** Whether nothing of a row has been read yet (and no LF of a CRLF is pending). */
  private atRowStart(): boolean {
    return (
      this.state === FieldState.Unquoted && this.fields.length === 0 && this.field.length === 0 && !this.skipLineFeed
    );
  }

  /** Ends the text: completes a last row without a line break, or reports an unterminated quote. */
  finish(rows: CsvRow[]): void {
    if (this.state === FieldState.Quoted) {
      throw new DatasetError('unterminated quoted field: the closing quote is missing before the end of the file', {
        line: this.quoteStartLine,
        column: this.columnLabel(this.fields.length),
      });
    }
    if (this.state !== FieldState.Unquoted) this.state = FieldState.Unquoted;
    this.endField('');
    this.endRow(rows, LF);
  }

  /** A column's name for error messages; `field <n>` before the header is known or beyond it. */
  private columnLabel(fieldIndex: number): string {
    return this.header?.[fieldIndex] ?? `field ${fieldIndex + 1}`;
  }

  private endField(tail: string): void {
    this.fields.push(this.field + tail);
    this.field = '';
  }

  private endRow(rows: CsvRow[], terminator: number): void {
    const fields = this.fields;
    const blankLine = fields.length === 1 && !this.rowHasQuotedField && isBlankText(fields[0]);
    if (!blankLine) {
      rows.push({ fields, line: this.rowStartLine });
      this.header ??= fields;
    }
    this.fields = [];
    this.rowHasQuotedField = false;
    this.line += 1;
    this.rowStartLine = this.line;
    this.skipLineFeed = terminator === CR;
  }
}

/**
 * Reads a CSV from a stream: the header, then the data rows in batches. Every data row must have as
 * many fields as the header.
 *
 * @throws DatasetError (while iterating) for an empty file, a repeated header name, a row with the
 *   wrong number of fields, an unterminated quote, or text after a closing quote; the message names
 *   the line and the column. Rows of the slices (at most 64 Ki characters) and chunks before the
 *   malformed line's are yielded first; rows of its own slice are not.
 * @example
 *   const { header, batches } = await readCsv(fs.createReadStream('telco.csv'));
 *   for await (const batch of batches) for (const row of batch) console.log(row.line, row.fields);
 */
export async function readCsv(source: CsvSource): Promise<CsvRowStream> {
  const tokenizer = new CsvTokenizer();
  const decoder = new StringDecoder('utf8');
  const iterator = source[Symbol.asyncIterator]();
  const pending: CsvRow[] = [];
  let exhausted = false;

  // Text read but not yet tokenized: a large chunk is tokenized a slice at a time.
  let unread = '';
  const pull = async (): Promise<void> => {
    if (unread.length === 0) {
      const next = await iterator.next();
      if (next.done) {
        tokenizer.push(decoder.end(), pending);
        tokenizer.finish(pending);
        exhausted = true;
        return;
      }
      const chunk = next.value;
      unread = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    }
    const slice = unread.length > MAX_CHARS_PER_BATCH ? unread.slice(0, MAX_CHARS_PER_BATCH) : unread;
    unread = unread.slice(slice.length);
    tokenizer.push(slice, pending);
  };

  try {
    while (pending.length === 0 && !exhausted) await pull();
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
  const headerRow = pending.shift();
  if (headerRow === undefined) throw new DatasetError('the file is empty: no header row', { line: 1 });
  const header = headerRow.fields;
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) {
      await iterator.return?.();
      throw new DatasetError('the header repeats this column name', { line: headerRow.line, column: name });
    }
    seen.add(name);
  }

  async function* batches(): AsyncGenerator<CsvRow[]> {
    try {
      while (true) {
        if (pending.length > 0) {
          const batch = pending.splice(0, pending.length);
          for (const row of batch) checkFieldCount(row, header);
          yield batch;
        }
        if (exhausted) return;
        await pull();
      }
    } finally {
      if (!exhausted) await iterator.return?.();
    }
  }

  return { header, headerLine: headerRow.line, batches: batches() };
}

/** Reads the header and the first rows of a CSV (for schema inference), then stops reading. */
export async function readCsvSample(
  source: CsvSource,
  maxRows: number,
): Promise<{ header: string[]; rows: string[][] }> {
  const { header, batches } = await readCsv(source);
  const rows: string[][] = [];
  for await (const batch of batches) {
    for (const row of batch) {
      if (rows.length >= maxRows) break;
      rows.push(row.fields);
    }
    if (rows.length >= maxRows) break;
  }
  return { header, rows };
}

function checkFieldCount(row: CsvRow, header: readonly string[]): void {
  if (row.fields.length === header.length) return;
  const tooFew = row.fields.length < header.length;
  throw new DatasetError(
    `expected ${header.length} fields as in the header, found ${row.fields.length}` +
      (tooFew ? ' (this and later columns are missing)' : ' (extra fields beyond the header)'),
    { line: row.line, column: tooFew ? header[row.fields.length] : `field ${header.length + 1}` },
  );
}
