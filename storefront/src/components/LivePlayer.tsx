// The live room's video: the room's HLS playlist (room.playbackUrl, from the media module) in a <video>.
// A browser that plays HLS itself (Safari, Chrome on Android) gets the URL as the video's source; every
// other one loads hls.js (its light build: no DRM, subtitles or alternate audio, which a live room's
// stream has none of), and only then: it is a chunk of its own, fetched when a live room has a stream,
// so the product page and a room without video never download it. Starts muted (browsers only autoplay
// muted video); the controls unmute. A stream that is not there yet (the media server writes the first
// segments a few seconds after the host starts) or that stalls is tried again every few seconds.
import { useEffect, useRef, useState } from 'react';
import { useShop } from '../shop.tsx';

const RETRY_MS = 3000;
const HLS_TYPE = 'application/vnd.apple.mpegurl';

export function LivePlayer({ url, poster }: { url: string; poster: string | null }) {
  const { t } = useShop();
  const video = useRef<HTMLVideoElement>(null);
  const [playing, setPlaying] = useState(false);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const element = video.current;
    if (!element) return;
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let player: { destroy(): void } | undefined;
    setPlaying(false);
    setFailed(false);

    if (element.canPlayType(HLS_TYPE) !== '') {
      element.src = url;
      // The native player gives up on a playlist that is not there yet: point it at the URL again.
      element.onerror = () => {
        if (!stopped) retry = setTimeout(() => element.setAttribute('src', url), RETRY_MS);
      };
    } else {
      const start = async () => {
        const { default: Hls } = await import('hls.js/light');
        if (stopped) return;
        if (!Hls.isSupported()) {
          setFailed(true);
          return;
        }
        const hls = new Hls({ liveSyncDurationCount: 2 });
        player = hls;
        let mediaRecoveries = 0;
        hls.on(Hls.Events.ERROR, (_event, data) => {
          if (!data.fatal || stopped) return;
          if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries < 2) {
            mediaRecoveries += 1;
            hls.recoverMediaError();
            return;
          }
          // A network error (no playlist yet, the server restarted) or a media error that did not recover: start over.
          hls.destroy();
          player = undefined;
          retry = setTimeout(() => void start().catch(() => setFailed(true)), RETRY_MS);
        });
        hls.loadSource(url);
        hls.attachMedia(element);
      };
      start().catch(() => setFailed(true));
    }
    return () => {
      stopped = true;
      clearTimeout(retry);
      player?.destroy();
      element.onerror = null;
      element.removeAttribute('src');
      element.load();
    };
  }, [url]);

  return (
    <div className="player">
      <video
        ref={video}
        data-testid="live-video"
        data-playback-url={url}
        poster={poster ?? undefined}
        aria-label={t('liveVideo')}
        controls
        autoPlay
        muted
        playsInline
        onPlaying={() => setPlaying(true)}
        onWaiting={() => setPlaying(false)}
      />
      {!playing ? <p className="stage-text player-note">{failed ? t('videoUnavailable') : t('videoStarting')}</p> : null}
    </div>
  );
}
