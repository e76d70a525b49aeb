// A CSV file as a stream of records keyed by header name, through csv-parse: the header is read and
// checked before anything else (a wrong file is refused up front, naming the columns it should have),
// then records come one at a time, so a file of any size is never in memory whole. A malformed record
// (a quote that does not close) stops the import there with its line: what comes after a broken quote
// cannot be read reliably, and the rows before it are already imported (a re-run after the fix is safe).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { decodeUtf8 } from './decode.ts';
import { emptyFile, malformedCsv, notCsv, wrongColumns } from '../problems.ts';

export interface CsvLayout {
  /** The format's name as users know it, for messages ("Shopify product CSV"). */
  label: string;
  /** Columns without which a row cannot be read. */
  required: readonly string[];
  /** Every column the reader uses, for the refusal's list. */
  known: readonly string[];
}

export interface CsvRecord {
  /** Spreadsheet row number: the header is row 1. */
  row: number;
  cells: Record<string, string>;
}

/** Longest record csv-parse will buffer: a runaway quote stops here instead of eating the file. */
const MAX_RECORD_BYTES = 1_000_000;

/**
 * Reads and checks the header, then returns the records. Throws import_not_csv, import_empty_file or
 * import_wrong_columns (422) before returning, and import_malformed_csv where a record cannot be read.
 */
export async function openCsv(input: AsyncIterable<Uint8Array>, layout: CsvLayout): Promise<AsyncGenerator<CsvRecord>> {
  const parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    // A quote inside an unquoted cell (12" pizza) is kept as text, as spreadsheets write it.
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
  });
  let failure: unknown;
  const feeding = pipeline(Readable.from(decodeUtf8(input, notCsv)), parser).catch((error: unknown) => {
    failure ??= readable(error);
  });
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: { records: number } }>;
  let header: string[];
  try {
    const first = await records.next();
    if (first.done) {
      await feeding;
      if (failure) throw failure;
      throw emptyFile();
    }
    header = first.value.record.map((name) => name.replace(/^\uFEFF/, '').trim());
  } catch (error) {
    parser.destroy();
    await feeding;
    throw readable(error);
  }
  const missing = layout.required.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    parser.destroy();
    await feeding;
    throw wrongColumns(layout.label, missing, layout.known);
  }
  return (async function* rows(): AsyncGenerator<CsvRecord> {
    try {
      for (;;) {
        let next: IteratorResult<{ record: string[]; info: { records: number } }>;
        try {
          next = await records.next();
        } catch (error) {
          throw readable(error);
        }
        if (next.done) break;
        // A row of empty cells (",,,," that spreadsheets leave at the end) is no record.
        if (next.value.record.every((value) => value.trim() === '')) continue;
        const cells: Record<string, string> = {};
        header.forEach((name, i) => {
          if (!(name in cells)) cells[name] = next.value.record[i] ?? '';
        });
        yield { row: next.value.info.records, cells };
      }
    } finally {
      parser.destroy();
      await feeding;
    }
    if (failure && !isPrematureClose(failure)) throw failure;
  })();
}

/** A parser's error as the problem it is for the user (a CsvError names its line); others unchanged. */
function readable(error: unknown): unknown {
  if (!(error instanceof CsvError)) return error;
  const line = (error as unknown as { lines?: number }).lines;
  return malformedCsv(typeof line === 'number' ? line : 0, error.message);
}

function isPrematureClose(error: unknown): boolean {
  return (error as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE';
}
