// The upload side of an import job: the request body to a temporary file (refused past the size limit),
// and the up-front check of that file's first bytes, so a wrong file is a 422 before any job exists.
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Platform } from '../../kernel/context.ts';
import { emptyFile, fileTooLarge } from './problems.ts';
import { openImport, type ImportFormat } from './import/run.ts';

/** The largest file one upload may be (a 100,000-row Shopify export is about 60 MiB). */
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
const HEAD_BYTES = 1024 * 1024;

/**
 * The request's body stream as the route's content-type parser hands it over. Wrapped so that nothing
 * walking the parsed body (the kernel's input guard looks at every property) walks the socket behind it.
 */
export class UploadBody {
  readonly #source: Readable;
  constructor(source: Readable) {
    this.#source = source;
  }
  source(): Readable {
    return this.#source;
  }
}

/** Writes the body to file; returns its size. 413 past the limit, 422 when there is nothing. */
export async function saveUpload(body: unknown, file: string, limit = MAX_UPLOAD_BYTES): Promise<number> {
  if (!(body instanceof UploadBody)) throw emptyFile();
  let size = 0;
  const source = body.source();
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      done(size > limit ? fileTooLarge(limit) : null, chunk);
    },
  });
  try {
    await pipeline(source, counter, createWriteStream(file, { mode: 0o600 }));
  } catch (error) {
    await rm(file, { force: true });
    throw error;
  }
  if (size === 0) {
    await rm(file, { force: true });
    throw emptyFile();
  }
  return size;
}

/** Opens the file's first MiB in the format: throws the 422 a wrong file gets, reads nothing further. */
export async function checkUpload(file: string, size: number, format: ImportFormat, platform: Platform): Promise<void> {
  const handle = await open(file);
  let head: Buffer;
  try {
    const buffer = Buffer.alloc(Math.min(size, HEAD_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  if (size > head.length) {
    // A first JSON line longer than the head cannot be judged from it; the job itself will.
    if (format === 'jsonl' && !head.includes(0x0a)) return;
    // Cut after the last line break (never inside a UTF-8 character), so the head decodes cleanly.
    const end = head.lastIndexOf(0x0a);
    if (end > 0) head = head.subarray(0, end + 1);
  }
  // A record cut at the end of the head is never reached: only the header (or first line) is read.
  await openImport(format, (async function* () { yield head; })(), platform);
}
