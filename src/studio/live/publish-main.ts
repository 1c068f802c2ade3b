/** The `/publish` page: pick devices and quality, preview, go live over MoQ, share a watch link. */
import type { VideoCodecName } from '../../engine';
import { element, pageRelay, pageToken, watchLink } from './page-params';
import { LivePublisher } from './publisher';

const BITRATES: Record<string, number> = { '360': 800_000, '720': 2_500_000, '1080': 5_000_000 };
const SCREEN = 'screen';
const NONE = '';

const form = element('setup', HTMLFormElement);
const broadcastInput = element('broadcast', HTMLInputElement);
const camera = element('camera', HTMLSelectElement);
const microphone = element('microphone', HTMLSelectElement);
const quality = element('quality', HTMLSelectElement);
const codec = element('codec', HTMLSelectElement);
const start = element('start', HTMLButtonElement);
const stop = element('stop', HTMLButtonElement);
const preview = element('preview', HTMLVideoElement);
const watch = element('watch', HTMLAnchorElement);
const copy = element('copy', HTMLButtonElement);
const status = element('status', HTMLParagraphElement);

const params = new URLSearchParams(location.search);
const jwt = pageToken();
broadcastInput.value = params.get('broadcast') ?? `live/${crypto.randomUUID().slice(0, 8)}`;

let publisher: LivePublisher | undefined;
let stream: MediaStream | undefined;
/** For tests and the live bench: the running publication's counters. */
Object.assign(globalThis, { weftPublish: () => publisher?.stats });

function option(select: HTMLSelectElement, value: string, label: string): void {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = label;
  select.append(o);
}

async function listDevices(): Promise<void> {
  // Labels are only shown once the page has permission; ask for it with a short-lived stream.
  const probe = await navigator.mediaDevices.getUserMedia({ video: true, audio: true }).catch(() => undefined);
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const t of probe?.getTracks() ?? []) t.stop();
  camera.replaceChildren();
  microphone.replaceChildren();
  for (const d of devices.filter((d) => d.kind === 'videoinput')) option(camera, d.deviceId, d.label || 'Camera');
  option(camera, SCREEN, 'Screen');
  option(camera, NONE, 'No video');
  for (const d of devices.filter((d) => d.kind === 'audioinput'))
    option(microphone, d.deviceId, d.label || 'Microphone');
  option(microphone, NONE, 'No audio');
}

function updateLink(): void {
  watch.href = watch.textContent = watchLink(broadcastInput.value, jwt);
}

async function capture(height: number): Promise<MediaStream> {
  const tracks: MediaStreamTrack[] = [];
  if (camera.value === SCREEN) {
    const screen = await navigator.mediaDevices.getDisplayMedia({ video: { height }, audio: false });
    tracks.push(...screen.getVideoTracks());
  } else if (camera.value !== NONE) {
    const cam = await navigator.mediaDevices.getUserMedia({ video: { deviceId: camera.value, height, frameRate: 30 } });
    tracks.push(...cam.getVideoTracks());
  }
  if (microphone.value !== NONE) {
    const mic = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: microphone.value } });
    tracks.push(...mic.getAudioTracks());
  }
  return new MediaStream(tracks);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void (async () => {
    start.disabled = true;
    status.textContent = 'Starting…';
    try {
      const height = Number(quality.value);
      stream = await capture(height);
      preview.srcObject = stream;
      publisher = new LivePublisher();
      await publisher.start(stream, {
        relay: pageRelay(),
        jwt,
        broadcast: broadcastInput.value,
        codec: codec.value as VideoCodecName,
        height,
        bitrate: BITRATES[quality.value] ?? 2_500_000,
      });
      stop.disabled = false;
      updateLink();
      status.textContent = `Live as ${broadcastInput.value}.`;
    } catch (error) {
      status.textContent = `Could not go live: ${error instanceof Error ? error.message : String(error)}`;
      start.disabled = false;
    }
  })();
});

stop.addEventListener('click', () => {
  publisher?.stop();
  for (const t of stream?.getTracks() ?? []) t.stop();
  preview.srcObject = null;
  stop.disabled = true;
  start.disabled = false;
  status.textContent = 'Stopped.';
});

copy.addEventListener('click', () => void navigator.clipboard.writeText(watch.href));
broadcastInput.addEventListener('input', updateLink);
setInterval(() => {
  const s = publisher?.stats;
  if (s?.state === 'live')
    status.textContent = `Live as ${broadcastInput.value}: ${String(s.videoFrames)} video frames, ${String(s.audioFrames)} audio buffers sent, ${String(s.dropped)} dropped.`;
  if (s?.state === 'failed') status.textContent = `Stopped: ${s.error ?? 'failed'}`;
}, 500);

updateLink();
void listDevices();
