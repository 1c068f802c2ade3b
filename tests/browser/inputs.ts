/** Input media made by ffmpeg at test time: [file name, ffmpeg arguments]. */
export type MediaSpec = [name: string, args: string[]];

const lavfi = (graph: string): string[] => ['-f', 'lavfi', '-i', graph];
const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-pix_fmt', 'yuv420p'];
const vp9 = ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k'];

/** H.264 with B-frames + AAC stereo 44.1 kHz, 640x360, 30 fps, 2 s. */
export const H264_AAC: MediaSpec = [
  'h264-aac.mp4',
  [
    ...lavfi('testsrc2=size=640x360:rate=30:duration=2'),
    ...lavfi('sine=frequency=440:sample_rate=44100:duration=2'),
    ...x264,
    '-c:a',
    'aac',
    '-b:a',
    '96k',
    '-ac',
    '2',
    '-shortest',
  ],
];
/** VP9 + Opus, 854x480, 25 fps, 2 s. */
export const VP9_OPUS: MediaSpec = [
  'vp9-opus.webm',
  [
    ...lavfi('testsrc2=size=854x480:rate=25:duration=2'),
    ...lavfi('sine=frequency=330:sample_rate=48000:duration=2'),
    ...vp9,
    '-c:a',
    'libopus',
    '-shortest',
  ],
];
/** Odd size: VP9 1279x719, 30 fps, 1 s, with audio. */
export const ODD_SIZE: MediaSpec = [
  'odd-1279x719.webm',
  [
    ...lavfi('testsrc2=size=1280x720:rate=30:duration=1'),
    ...lavfi('sine=frequency=550:sample_rate=48000:duration=1'),
    '-vf',
    'scale=1279:719',
    '-map',
    '0:v',
    '-map',
    '1:a',
    ...vp9,
    '-c:a',
    'libopus',
    '-shortest',
  ],
];
/** Mono 44.1 kHz 16-bit WAV sine at amplitude 0.25, 2 s. */
export const MONO_WAV: MediaSpec = [
  'mono-44k.wav',
  [...lavfi('aevalsrc=0.25*sin(2*PI*440*t):s=44100:d=2'), '-c:a', 'pcm_s16le', '-ac', '1'],
];
/** MP3 audio only (no video), 48 kHz stereo, 2 s. */
export const AUDIO_ONLY: MediaSpec = [
  'audio-only.mp3',
  [...lavfi('sine=frequency=660:sample_rate=48000:duration=2'), '-c:a', 'libmp3lame', '-b:a', '128k', '-ac', '2'],
];
/** H.264 video only (no audio), 320x240, 30 fps, 1 s. */
export const VIDEO_ONLY: MediaSpec = [
  'video-only.mp4',
  [...lavfi('testsrc2=size=320x240:rate=30:duration=1'), ...x264, '-an'],
];
/** Variable frame rate: 30 fps for 1 s, then 15 fps for 1 s (45 frames). */
export const VFR: MediaSpec = [
  'vfr.mp4',
  [
    ...lavfi('testsrc2=size=320x240:rate=30:duration=2'),
    '-vf',
    "select='if(lt(n\\,30)\\,1\\,not(mod(n\\,2)))'",
    '-fps_mode',
    'vfr',
    ...x264,
    '-an',
  ],
];
/** A phone video: H.264 + AAC with 90° rotation metadata. */
export const ROTATED: MediaSpec = [
  'rotated.mp4',
  [
    ...lavfi('testsrc2=size=480x270:rate=30:duration=1'),
    ...lavfi('sine=frequency=440:sample_rate=48000:duration=1'),
    ...x264,
    '-c:a',
    'aac',
    '-metadata:s:v:0',
    'rotate=90',
    '-shortest',
  ],
];
/** Stereo 48 kHz sine (for mixing), 1.5 s. */
export const MUSIC: MediaSpec = [
  'music.ogg',
  [...lavfi('sine=frequency=660:sample_rate=48000:duration=1.5'), '-c:a', 'libopus', '-ac', '2'],
];
/** FLAC, 44.1 kHz stereo, 1 s. */
export const FLAC_TONE: MediaSpec = [
  'tone.flac',
  [...lavfi('sine=frequency=440:sample_rate=44100:duration=1'), '-c:a', 'flac', '-ac', '2'],
];
