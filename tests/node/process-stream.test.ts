/** Which /process answers stream while the run goes on, and the streamed body's own rules. */
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../src/engine';
import { responseSink, streamsForward } from '../../server/jobs/process-stream';

const chain = (mux: string, between = '') => `mode: oneshot
nodes:
  in: { kind: streamkit::http_input }
  mux: ${mux}
${between}  out: { kind: streamkit::http_output, needs: ${between ? 'mid' : 'mux'} }
`;
const forward = (text: string) => streamsForward(parsePipeline(text).pipeline);

describe('/process streaming', () => {
  it('streams what forward-only muxers write, and waits for file-mode ones', () => {
    expect(forward(chain('{ kind: containers::webm::muxer, needs: in }'))).toBe(true); // StreamKit: live by default
    expect(forward(chain('{ kind: containers::webm::muxer, params: { streaming_mode: file }, needs: in }'))).toBe(
      false,
    );
    expect(forward(chain('{ kind: containers::mp4::muxer, needs: in }'))).toBe(true);
    expect(forward(chain('{ kind: containers::mp4::muxer, params: { mode: file }, needs: in }'))).toBe(false);
    expect(forward(chain('{ kind: containers::ogg::muxer, needs: in }'))).toBe(true);
    expect(forward(chain('{ kind: containers::muxer, params: { format: mp4 }, needs: in }'))).toBe(false);
    expect(forward(chain('{ kind: containers::muxer, params: { format: webm, mode: live }, needs: in }'))).toBe(true);
    expect(forward(chain('{ kind: containers::muxer, params: { format: wav, mode: stream }, needs: in }'))).toBe(false);
    // Through nodes that pass bytes on unchanged.
    const writer = (passthrough: boolean) =>
      `  mid: { kind: core::object_store_writer, params: { endpoint: "https://s3.example.com", bucket: abc, key: k, access_key_id_env: A, secret_key_env: B, passthrough: ${passthrough} }, needs: mux }\n`;
    expect(forward(chain('{ kind: containers::ogg::muxer, needs: in }', writer(true)))).toBe(true);
    expect(
      forward(chain('{ kind: containers::ogg::muxer, needs: in }', '  mid: { kind: core::passthrough, needs: mux }\n')),
    ).toBe(true);
    expect(
      forward(
        chain(
          '{ kind: containers::webm::muxer, params: { streaming_mode: file }, needs: in }',
          '  mid: { kind: core::passthrough, needs: mux }\n',
        ),
      ),
    ).toBe(false);
  });

  it('ends the body with an error when an output rewrites sent bytes, and holds back for a slow reader', async () => {
    let canceled = false;
    const { sink, body } = responseSink(() => (canceled = true));
    await sink.write(new Uint8Array([1, 2, 3]), 0);
    await expect(sink.write(new Uint8Array([9]), 1)).rejects.toThrow(/not forward-only/);
    // The client's read fails (an erred stream drops what it queued): the body is cut, not wrong.
    await expect(body.getReader().read()).rejects.toThrow(/rewrote byte 1/);

    const slow = responseSink(() => (canceled = true));
    const big = new Uint8Array(3 * 1024 * 1024);
    await slow.sink.write(big, 0);
    let second = false;
    const pending = slow.sink.write(big, big.byteLength).then(() => (second = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(second).toBe(false); // 6 MiB queued, over the 4 MiB buffer: the writer waits
    const r = slow.body.getReader();
    await r.read();
    await pending;
    expect(second).toBe(true);
    await r.cancel();
    expect(canceled).toBe(true);
  });
});
