/**
 * The Stream view of a dynamic pipeline with MoQ nodes: run it as a live session on the server,
 * publish a camera, screen or microphone from this tab into the broadcasts it subscribes to, and
 * watch the broadcasts it publishes, each drawn as it arrives with its latency and rate.
 */
import { createSignal, For, onCleanup, Show } from 'solid-js';
import { gatewayUrl } from '../nodes/transport/moq/constants';
import type { GraphModel } from './model';
import type { RunControl } from './run-control';
import { pageRelay, watchLink } from './live/page-params';
import { LivePlayer, percentile } from './live/player';
import { LivePublisher } from './live/publisher';

/** A broadcast the pipeline reads (an input) or writes (an output), on some relay. */
export interface LiveEndpoint {
  node: string;
  kind: string;
  broadcast: string;
  relay: string;
  jwt: string | undefined;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The broadcasts a pipeline's MoQ nodes subscribe to (inputs) and publish (outputs). */
export function liveEndpoints(model: GraphModel, relay: string): { inputs: LiveEndpoint[]; outputs: LiveEndpoint[] } {
  const inputs: LiveEndpoint[] = [];
  const outputs: LiveEndpoint[] = [];
  for (const n of model.nodes) {
    const p = n.params;
    const at = (broadcast: string, url: string) => ({
      node: n.id,
      kind: n.kind,
      broadcast,
      relay: url,
      jwt: text(p.jwt),
    });
    if (n.kind === 'transport::moq::subscriber' && text(p.broadcast))
      inputs.push(at(text(p.broadcast)!, text(p.url) ?? relay));
    else if (n.kind === 'transport::moq::publisher' && text(p.broadcast))
      outputs.push(at(text(p.broadcast)!, text(p.url) ?? relay));
    else if (n.kind === 'transport::moq::peer') {
      const url = gatewayUrl(relay, text(p.gateway_path) ?? '/moq');
      const named: unknown[] = Array.isArray(p.input_broadcasts)
        ? p.input_broadcasts.filter((b: unknown) => text(b))
        : [];
      const list = named.length > 0 ? (named as string[]) : [text(p.input_broadcast) ?? 'input'];
      for (const b of list) inputs.push(at(b, url));
      outputs.push(at(text(p.output_broadcast) ?? 'output', url));
    }
  }
  return { inputs, outputs };
}

const SOURCES = { camera: 'Camera + microphone', 'camera-only': 'Camera', screen: 'Screen', microphone: 'Microphone' };
type Source = keyof typeof SOURCES;

async function capture(source: Source): Promise<MediaStream> {
  const media = navigator.mediaDevices;
  if (source === 'screen') return media.getDisplayMedia({ video: { height: 720 }, audio: false });
  if (source === 'microphone') return media.getUserMedia({ audio: true });
  return media.getUserMedia({ video: { height: 480, frameRate: 30 }, audio: source === 'camera' });
}

/** Publishes a capture from this tab into one input broadcast. */
function InputCard(props: { endpoint: LiveEndpoint; say: (text: string, kind?: 'info' | 'error') => void }) {
  const [source, setSource] = createSignal<Source>('camera');
  const [live, setLive] = createSignal<LivePublisher>();
  const [status, setStatus] = createSignal('not publishing');
  let preview!: HTMLVideoElement;
  let stream: MediaStream | undefined;
  const stop = () => {
    live()?.stop();
    for (const t of stream?.getTracks() ?? []) t.stop();
    stream = undefined;
    preview.srcObject = null;
    setLive(undefined);
    setStatus('not publishing');
  };
  const start = async () => {
    const e = props.endpoint;
    try {
      stream = await capture(source());
      preview.srcObject = stream;
      const publisher = new LivePublisher();
      await publisher.start(stream, {
        relay: e.relay,
        jwt: e.jwt,
        broadcast: e.broadcast,
        codec: 'vp8',
        height: 480,
        bitrate: 1_200_000,
      });
      setLive(publisher);
      props.say(`Publishing ${SOURCES[source()].toLowerCase()} as ${e.broadcast}`);
    } catch (error) {
      stop();
      props.say(`Could not publish ${e.broadcast}: ${error instanceof Error ? error.message : String(error)}`, 'error');
    }
  };
  const timer = setInterval(() => {
    const s = live()?.stats;
    if (!s) return;
    setStatus(
      s.state === 'failed'
        ? `stopped: ${s.error ?? 'failed'}`
        : `${s.state}: ${String(s.videoFrames)} video frames, ${String(s.audioFrames)} audio buffers sent`,
    );
  }, 500);
  onCleanup(() => {
    clearInterval(timer);
    stop();
  });
  return (
    <div class="live-card input" data-broadcast={props.endpoint.broadcast}>
      <h3>
        {props.endpoint.broadcast} <span class="muted">→ {props.endpoint.node}</span>
      </h3>
      <video ref={(el) => (preview = el)} muted autoplay playsinline />
      <div class="row">
        <select
          aria-label={`Source for ${props.endpoint.broadcast}`}
          value={source()}
          disabled={live() !== undefined}
          onChange={(e) => setSource(e.currentTarget.value as Source)}
        >
          <For each={Object.entries(SOURCES)}>{([value, label]) => <option value={value}>{label}</option>}</For>
        </select>
        <Show
          when={live()}
          fallback={
            <button class="primary" onClick={() => void start()}>
              Publish
            </button>
          }
        >
          <button onClick={stop}>Stop publishing</button>
        </Show>
      </div>
      <p class="muted status">{status()}</p>
    </div>
  );
}

/** Watches one output broadcast, drawn as frames arrive. */
function OutputCard(props: { endpoint: LiveEndpoint; ownRelay: boolean }) {
  const [status, setStatus] = createSignal('connecting');
  let canvas!: HTMLCanvasElement;
  let player: LivePlayer | undefined;
  let last = { at: performance.now(), frames: 0 };
  const timer = setInterval(() => {
    if (!player) {
      player = new LivePlayer(canvas);
      void player.play(props.endpoint.relay, props.endpoint.broadcast, props.endpoint.jwt);
    }
    const s = player.stats;
    const now = performance.now();
    const fps = ((s.framesDrawn - last.frames) * 1000) / Math.max(1, now - last.at);
    last = { at: now, frames: s.framesDrawn };
    const p50 = percentile(s.latencies.slice(-60), 50);
    setStatus(
      s.state === 'playing'
        ? `${String(s.width)}×${String(s.height)}, ${fps.toFixed(0)} fps, ${String(s.framesDrawn)} frames` +
            (p50 === undefined ? '' : `, latency p50 ${p50.toFixed(0)} ms`)
        : s.state === 'waiting'
          ? 'waiting for the session to publish'
          : s.state,
    );
    canvas.dataset.frames = String(s.framesDrawn);
  }, 500);
  onCleanup(() => {
    clearInterval(timer);
    player?.stop();
  });
  return (
    <div class="live-card output" data-broadcast={props.endpoint.broadcast}>
      <h3>
        {props.endpoint.broadcast} <span class="muted">← {props.endpoint.node}</span>
      </h3>
      <canvas ref={(el) => (canvas = el)} width={640} height={360} />
      <p class="muted status">
        {status()}
        <Show when={props.ownRelay && !props.endpoint.jwt}>
          {' · '}
          <a href={watchLink(props.endpoint.broadcast, undefined)} target="_blank" rel="noopener">
            watch page
          </a>
        </Show>
      </p>
    </div>
  );
}

export function StreamView(props: {
  model: GraphModel;
  run: RunControl;
  say: (text: string, kind?: 'info' | 'error') => void;
  message: { text: string; kind: 'info' | 'error' } | undefined;
}) {
  const relay = pageRelay();
  const endpoints = () => liveEndpoints(props.model, relay);
  const live = () => props.run.remoteId();

  return (
    <section class="stream">
      <div class="row">
        <h2>Stream</h2>
        <span class="muted">
          Publish from this tab into the broadcasts the pipeline subscribes to; watch the ones it publishes.
        </span>
        <span class="spacer" />
        <Show
          when={live()}
          fallback={
            <button
              class="primary"
              disabled={props.model.mode !== 'dynamic' || props.run.running()}
              title={props.model.mode === 'dynamic' ? '' : 'Only a dynamic pipeline runs as a live session'}
              onClick={() => void props.run.runOnServer()}
            >
              Start session on server
            </button>
          }
        >
          {(id) => (
            <>
              <span class="stream-session" data-session={id()}>
                live session {id().slice(0, 8)}
              </span>
              <button onClick={() => props.run.stop()}>Stop session</button>
            </>
          )}
        </Show>
      </div>
      {/* The editor's toast is not on this view: its messages show here. */}
      <Show when={props.message}>
        {(n) => (
          <p class="note" classList={{ error: n().kind === 'error' }} role="status">
            {n().text}
          </p>
        )}
      </Show>
      <Show
        when={endpoints().inputs.length + endpoints().outputs.length > 0}
        fallback={
          <p class="muted">
            This pipeline has no transport::moq nodes. Open a live sample (Samples → moq-transform) or add a
            transport::moq::subscriber and a transport::moq::publisher.
          </p>
        }
      >
        <div class="stream-columns">
          <div>
            <h3 class="muted">Into the pipeline</h3>
            <For each={endpoints().inputs}>{(e) => <InputCard endpoint={e} say={props.say} />}</For>
          </div>
          <div>
            <h3 class="muted">Out of the pipeline</h3>
            <For each={endpoints().outputs}>{(e) => <OutputCard endpoint={e} ownRelay={e.relay === relay} />}</For>
          </div>
        </div>
      </Show>
    </section>
  );
}
