// How many frames one socket sent this second, for the viewer and host sockets alike: past the soft
// limit later frames of the second are ignored (the socket is told once), past the hard limit it is closed.
export const FRAMES_PER_SECOND = 100;
const CLOSE_AFTER_FRAMES_PER_SECOND = 400;

export type RateVerdict = 'ok' | 'warn' | 'ignore' | 'close';

export class FrameRate {
  private startedAt = Date.now();
  private frames = 0;
  private warned = false;

  hit(now = Date.now()): RateVerdict {
    if (now - this.startedAt >= 1000) {
      this.startedAt = now;
      this.frames = 0;
      this.warned = false;
    }
    this.frames += 1;
    if (this.frames > CLOSE_AFTER_FRAMES_PER_SECOND) return 'close';
    if (this.frames <= FRAMES_PER_SECOND) return 'ok';
    if (this.warned) return 'ignore';
    this.warned = true;
    return 'warn';
  }
}

export const slowDownMessage = `At most ${FRAMES_PER_SECOND} frames a second; later frames of this second were ignored.`;
