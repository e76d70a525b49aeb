// Bytes to text for every format: UTF-8 with or without a byte-order mark (TextDecoder drops it), a
// refusal for anything else, decided on the first bytes where it can be (a workbook, an image, UTF-16).
import type { HttpProblem } from '../../../kernel/http/problem.ts';

const SNIFF_BYTES = 8192;

function sniff(chunk: Uint8Array, refuse: (why: string) => HttpProblem): void {
  const head = chunk.subarray(0, SNIFF_BYTES);
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) throw refuse('it is a zip archive, an Excel workbook perhaps');
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) throw refuse('it is UTF-16 text; save it as UTF-8');
  if (head.includes(0)) throw refuse('it holds binary data');
}

/** The text of a byte stream, chunk by chunk; never the whole file at once. */
export async function* decodeUtf8(input: AsyncIterable<Uint8Array>, refuse: (why: string) => HttpProblem): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let first = true;
  for await (const chunk of input) {
    if (chunk.length === 0) continue;
    if (first) sniff(chunk, refuse);
    first = false;
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      throw refuse('it is not UTF-8 text; save it as UTF-8');
    }
    if (text) yield text;
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    throw refuse('it ends in the middle of a UTF-8 character');
  }
  if (rest) yield rest;
}
