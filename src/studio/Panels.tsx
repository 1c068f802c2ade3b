/**
 * Side panels of a run: live preview of the selected node (video frames on a canvas, audio as a
 * level meter) and the monitor (per-node packets/s, bitrate and queue depth over time).
 */
import { createEffect, For, Show } from 'solid-js';
import type { TelemetryLine } from './run-control';

/** Samples kept per node in the monitor (at 4 per second: the last 30 s). */
export const MONITOR_SAMPLES = 120;

export interface NodeSeries {
  rate: number[];
  kbps: number[];
  queue: number[];
}

export function Preview(props: {
  node: string | undefined;
  frame: ImageBitmap | undefined;
  level: number | undefined;
}) {
  let canvas!: HTMLCanvasElement;
  createEffect(() => {
    const frame = props.frame;
    const g = canvas.getContext('2d');
    if (!g) return;
    if (!frame) {
      g.clearRect(0, 0, canvas.width, canvas.height);
      return;
    }
    canvas.width = frame.width;
    canvas.height = frame.height;
    g.drawImage(frame, 0, 0);
  });
  const db = () => (props.level && props.level > 0 ? 20 * Math.log10(props.level) : -90);
  return (
    <section class="preview" aria-label="Preview">
      <h3>
        Preview <span class="muted">{props.node ?? 'select a node'}</span>
      </h3>
      <canvas ref={(el) => (canvas = el)} width="320" height="180" />
      <Show when={props.level !== undefined}>
        <div
          class="meter"
          role="meter"
          aria-valuemin={-60}
          aria-valuemax={0}
          aria-valuenow={Math.round(db())}
          aria-label="Audio level"
        >
          <div class="fill" style={{ width: `${Math.max(0, Math.min(100, ((db() + 60) / 60) * 100))}%` }} />
          <span>{db() > -90 ? `${db().toFixed(1)} dBFS` : 'silence'}</span>
        </div>
      </Show>
    </section>
  );
}

function Spark(props: { values: number[]; color: string }) {
  const max = () => Math.max(1, ...props.values);
  const points = () =>
    props.values.map((v, i) => `${(i / (MONITOR_SAMPLES - 1)) * 100},${20 - (v / max()) * 18}`).join(' ');
  return (
    <svg class="spark" viewBox="0 0 100 20" preserveAspectRatio="none">
      <polyline
        points={points()}
        fill="none"
        stroke={props.color}
        stroke-width="1.5"
        vector-effect="non-scaling-stroke"
      />
    </svg>
  );
}

export function Monitor(props: { series: Record<string, NodeSeries>; telemetry: readonly TelemetryLine[] }) {
  const last = (v: number[]) => v.at(-1) ?? 0;
  return (
    <section class="monitor" aria-label="Monitor">
      <h3>Monitor</h3>
      <Show
        when={Object.keys(props.series).length > 0}
        fallback={<p class="muted small">Run the pipeline to see per-node rates.</p>}
      >
        <table>
          <thead>
            <tr>
              <th>node</th>
              <th>packets/s</th>
              <th>kbit/s</th>
              <th>queue</th>
            </tr>
          </thead>
          <tbody>
            <For each={Object.entries(props.series)}>
              {([id, s]) => (
                <tr>
                  <td>{id}</td>
                  <td>
                    <Spark values={s.rate} color="#60a5fa" />
                    <span>{last(s.rate).toFixed(0)}</span>
                  </td>
                  <td>
                    <Spark values={s.kbps} color="#34d399" />
                    <span>{last(s.kbps).toFixed(0)}</span>
                  </td>
                  <td>
                    <Spark values={s.queue} color="#f59e0b" />
                    <span>{last(s.queue)}</span>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
      <Show when={props.telemetry.length > 0}>
        <h3>Telemetry</h3>
        <ul class="telemetry">
          <For each={props.telemetry}>
            {(t) => (
              <li>
                <span class="muted">{t.node}</span> <b>{t.type_id}</b> <code>{t.summary}</code>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}
