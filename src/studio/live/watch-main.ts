/** The `/watch/<broadcast>` page: plays a live broadcast with a latency and bitrate overlay. */
import { element, pageRelay, pageToken, watchedBroadcast } from './page-params';
import { LivePlayer, percentile } from './player';

const canvas = element('screen', HTMLCanvasElement);
const overlay = element('overlay', HTMLPreElement);
const unmute = element('unmute', HTMLButtonElement);
const status = element('status', HTMLParagraphElement);

const broadcast = watchedBroadcast(location.pathname);
const player = new LivePlayer(canvas);
/** For tests and the live bench: what the player has seen. */
Object.assign(globalThis, { weftWatch: () => player.stats });

if (!broadcast) {
  status.textContent = 'No broadcast named: open /watch/<broadcast>.';
} else {
  document.title = `Weft — ${broadcast}`;
  void player.play(pageRelay(), broadcast, pageToken());
  let lastBytes = 0;
  let lastFrames = 0;
  setInterval(() => {
    const s = player.stats;
    const p50 = percentile(s.latencies, 50);
    const p95 = percentile(s.latencies, 95);
    const kbps = ((s.bytes - lastBytes) * 8) / 1000;
    const fps = s.framesDrawn - lastFrames;
    lastBytes = s.bytes;
    lastFrames = s.framesDrawn;
    overlay.textContent = [
      `${broadcast} · ${s.state}`,
      `${String(s.width)}×${String(s.height)} · ${String(fps)} fps · ${kbps.toFixed(0)} kb/s`,
      `latency p50 ${p50 === undefined ? '–' : p50.toFixed(0)} ms · p95 ${p95 === undefined ? '–' : p95.toFixed(0)} ms`,
    ].join('\n');
    status.textContent =
      s.state === 'waiting'
        ? `Waiting for ${broadcast} to go live…`
        : s.state === 'playing'
          ? `Playing ${broadcast}.`
          : s.error
            ? `${s.state}: ${s.error}`
            : `${s.state}…`;
  }, 1000);
}

unmute.addEventListener('click', () => {
  void player.audioContext().resume();
  unmute.hidden = true;
});
