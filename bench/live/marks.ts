// How the load recognises its own messages among the frames a viewer receives, cheaply enough to look
// at every frame of 10,000 viewers: the poster puts a mark letter and its send time at the start of the
// message text ("c1765049000123.4 p3-17"), and a viewer reads the frame's type from its 10th byte
// (`{"type":"` is 9 bytes, and both servers write `type` first) and the mark from the byte after
// `"text":"`. Warm-up messages carry their own marks, so the measured window counts only its own.

/** The first letter of the text of a message the load sent. */
export const MARK = {
  /** Chat posted in the measured window. */
  chat: 'c',
  /** High-priority (host) message sent in the measured window. */
  high: 'h',
  /** Chat of the warm-up. */
  warmChat: 'w',
  /** High-priority message of the warm-up. */
  warmHigh: 'v',
} as const;

export type Mark = (typeof MARK)[keyof typeof MARK];

/** The clock the posters stamp and the viewers read: epoch ms with sub-ms precision, comparable across processes. */
export const clock = (): number => performance.timeOrigin + performance.now();

/** The text of a message sent now: its mark, the send time, then anything (e.g. who sent it). */
export const markedText = (mark: Mark, tag: string): string => `${mark}${clock().toFixed(1)} ${tag}`;

export const TEXT_KEY = Buffer.from('"text":"');
const TYPE_AT = 9;

/** Frame types told apart by their first letters (message / missed share the first). */
export const FrameKind = { Message: 0, Missed: 1, Counts: 2, Other: 3 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export function frameKind(data: Buffer): FrameKind {
  const first = data[TYPE_AT];
  if (first === 0x6d /* m */) return data[TYPE_AT + 1] === 0x65 /* e */ ? FrameKind.Message : data[TYPE_AT + 1] === 0x69 /* i */ ? FrameKind.Missed : FrameKind.Other;
  if (first === 0x63 /* c */) return FrameKind.Counts;
  return FrameKind.Other;
}

/** Index of the first character of a message frame's text, or -1. */
export function textStart(data: Buffer): number {
  const at = data.indexOf(TEXT_KEY);
  return at < 0 ? -1 : at + TEXT_KEY.length;
}

/** The send time stamped after the mark at `start` (NaN when there is none). */
export function sentAt(data: Buffer, start: number): number {
  return Number.parseFloat(data.toString('latin1', start + 1, start + 16));
}
