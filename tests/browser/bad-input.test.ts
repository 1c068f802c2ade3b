import { describe, expect, it } from 'vitest';
import webmSample from '../../samples/oneshot/transcode-webm-vp9-opus.yaml?raw';
import { NodeError } from '../../src/engine';
import { media, runText } from './harness';
import { H264_AAC, VP9_OPUS } from './inputs';

async function failure(bytes: Uint8Array): Promise<NodeError> {
  const { result } = await runText(webmSample, { media: bytes });
  expect(result.state).toBe('failed');
  expect(result.openFrames).toBe(0);
  expect(result.error).toBeInstanceOf(NodeError);
  return result.error as NodeError;
}

describe('bad input fails with an error that names the node, and leaves nothing open', () => {
  it('random bytes', async () => {
    const noise = new Uint8Array(64 * 1024);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    const error = await failure(noise);
    expect(error.message).toMatch(
      /^\[containers::demuxer#demux:in\] run: the input \(65536 bytes\) is not a media file/,
    );
  });

  it('a truncated MP4 (moov atom missing)', async () => {
    const whole = await media(...H264_AAC);
    const error = await failure(whole.subarray(0, Math.floor(whole.length * 0.6)));
    expect(error.nodeId).toBe('demux');
    expect(error.pin).toBe('in');
  });

  it('a truncated WebM', async () => {
    const whole = await media(...VP9_OPUS);
    const { result, outputs } = await runText(webmSample, { media: whole.subarray(0, Math.floor(whole.length / 2)) });
    // A cut WebM is still readable up to the cut: the run either converts what is there or names the demuxer.
    if (result.state === 'failed') expect((result.error as NodeError).nodeId).toBe('demux');
    else expect(outputs.get('output')?.bytes().length).toBeGreaterThan(1000);
    expect(result.openFrames).toBe(0);
  });

  it('an image mislabelled as video', async () => {
    const canvas = new OffscreenCanvas(64, 64);
    canvas.getContext('2d')?.fillRect(0, 0, 32, 32);
    const png = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    const error = await failure(png);
    expect(error.message).toContain('[containers::demuxer#demux:in]');
    expect(error.message).toContain('not a media file');
  });

  it('an empty upload', async () => {
    const error = await failure(new Uint8Array(0));
    expect(error.message).toContain('the input is empty');
  });

  it('a missing required input', async () => {
    const { result } = await runText(webmSample, {});
    expect(result.state).toBe('failed');
    expect(result.error?.message).toMatch(
      /^\[streamkit::http_input#input:out\] run: required input 'media' was not provided/,
    );
  });
});
