/** The `espeak-ng` package (an Emscripten module factory) ships no types. */
declare module 'espeak-ng' {
  const ESpeakNg: (options: Record<string, unknown>) => Promise<unknown>;
  export default ESpeakNg;
}
