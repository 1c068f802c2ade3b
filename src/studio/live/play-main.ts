/** The `/play/<session id><path>` page: plays the `/mse/<session id><path>` stream of a `transport::http::mse` node. */
import { MsePlayer } from './mse-player';
import { element } from './page-params';

const video = element('screen', HTMLVideoElement);
const status = element('status', HTMLParagraphElement);

const path = /^\/play\/(.+)$/.exec(location.pathname)?.[1];
const player = new MsePlayer(video);
/** For tests: what the player has seen, and the frames the video element has shown. */
Object.assign(globalThis, {
  weftPlay: () => ({
    ...player.stats,
    frames: video.getVideoPlaybackQuality().totalVideoFrames,
    time: video.currentTime,
  }),
});

if (!path) {
  status.textContent = 'No stream named: open /play/<session id>/<path> (a transport::http::mse node’s path).';
} else {
  const url = `/mse/${path}`;
  document.title = `Weft — ${decodeURIComponent(path)}`;
  // A session's stream appears once its first bytes are muxed: until then, ask again.
  const start = async (): Promise<void> => {
    for (;;) {
      const probe = await fetch(url, { method: 'HEAD' }).catch(() => undefined);
      if (probe?.status !== 404) break;
      status.textContent = `Waiting for ${url} to start…`;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    await player.play(url);
  };
  void start();
  setInterval(() => {
    const s = player.stats;
    status.textContent =
      s.state === 'failed'
        ? `Failed: ${s.error ?? 'unknown error'}`
        : s.state === 'playing'
          ? `Playing ${url} · ${video.videoWidth}×${video.videoHeight} · ${(s.bytes / 1e6).toFixed(1)} MB`
          : s.state === 'ended'
            ? `The stream at ${url} ended.`
            : `Connecting to ${url}…`;
  }, 500);
}
