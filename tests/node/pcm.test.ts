/**
 * PCM decoding without WebCodecs: every layout mediabunny reads, to planar floats, exactly.
 */
import { describe, expect, it } from 'vitest';
import { decodePcm, isPcmCodec } from '../../src/nodes/media/pcm';

const bytes = (...b: number[]) => new Uint8Array(b);

describe('decodePcm', () => {
  it('reads 24-bit samples in both byte orders, sign-extended', () => {
    // +max, -1, -max as little-endian 24-bit
    const le = decodePcm('pcm-s24', bytes(0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x00, 0x80), 1);
    expect([...(le[0] ?? [])]).toEqual([8388607 / 8388608, -1 / 8388608, -1]);
    const be = decodePcm('pcm-s24be', bytes(0x7f, 0xff, 0xff, 0x80, 0x00, 0x00), 1);
    expect([...(be[0] ?? [])]).toEqual([8388607 / 8388608, -1]);
  });

  it('deinterleaves channels', () => {
    // s16 stereo: L=16384, R=-16384, L=0, R=32767
    const planes = decodePcm('pcm-s16', bytes(0x00, 0x40, 0x00, 0xc0, 0x00, 0x00, 0xff, 0x7f), 2);
    expect([...(planes[0] ?? [])]).toEqual([0.5, 0]);
    expect([...(planes[1] ?? [])]).toEqual([-0.5, 32767 / 32768]);
  });

  it('reads unsigned 8-bit, 32-bit, floats and doubles', () => {
    expect([...(decodePcm('pcm-u8', bytes(0, 128, 255), 1)[0] ?? [])]).toEqual([-1, 0, 127 / 128]);
    expect([...(decodePcm('pcm-s32be', bytes(0x40, 0, 0, 0), 1)[0] ?? [])]).toEqual([0.5]);
    const f64 = new Uint8Array(new Float64Array([0.25, -0.75]).buffer);
    expect([...(decodePcm('pcm-f64', f64, 1)[0] ?? [])]).toEqual([0.25, -0.75]);
    const f32be = new Uint8Array(4);
    new DataView(f32be.buffer).setFloat32(0, -0.5, false);
    expect([...(decodePcm('pcm-f32be', f32be, 1)[0] ?? [])]).toEqual([-0.5]);
  });

  it('expands G.711 μ-law and A-law to the standard linear values', () => {
    // Silence, and the largest positive and negative codes.
    const u = [...(decodePcm('ulaw', bytes(0xff, 0x80, 0x00), 1)[0] ?? [])].map((v) => Math.round(v * 32768));
    expect(u).toEqual([0, 32124, -32124]);
    const a = [...(decodePcm('alaw', bytes(0xd5, 0xaa, 0x2a), 1)[0] ?? [])].map((v) => Math.round(v * 32768));
    expect(a).toEqual([8, 32256, -32256]);
  });

  it('refuses a packet that is not whole frames, and non-PCM codecs', () => {
    expect(() => decodePcm('pcm-s24', bytes(1, 2, 3, 4), 1)).toThrow(/whole number/);
    expect(() => decodePcm('pcm-s16', bytes(1, 2, 3, 4, 5, 6), 2)).toThrow(/whole number/);
    expect(() => decodePcm('opus', bytes(1), 1)).toThrow(/not a PCM codec/);
    expect(isPcmCodec('pcm-s24be')).toBe(true);
    expect(isPcmCodec('mp4a.40.2')).toBe(false);
  });
});
