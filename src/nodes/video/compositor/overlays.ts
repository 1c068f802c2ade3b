/**
 * What the compositor's overlays need before they can be drawn: decoded images (from an asset or
 * inline base64) and loaded fonts. Fonts are session-shared resources, loaded once per name; the
 * bundled DejaVu Sans is the default and stands in for StreamKit's DejaVu font paths.
 */
import type { NodeContext } from '../../../engine';
import { BUNDLED_FONT_ASSETS } from '../../../engine';
import type { CompositorParams, ImageOverlay } from './params';

/** A font ready for `ctx.font`: the CSS family name and weight it was registered under. */
export interface LoadedFont {
  family: string;
  weight: 400 | 700;
}

/** The family the bundled font is registered as. */
const BUNDLED_FAMILY = 'weft-dejavu-sans';
/** Names that mean the bundled font: StreamKit's `samples/fonts/system/DejaVuSans*.ttf` and `dejavu-sans-bold`. */
const DEJAVU_NAME = /(?:^|\/)dejavu[-_ ]?sans(?<bold>[-_ ]?bold)?(?:\.(?:ttf|otf|woff2?))?$/i;

/** The document or worker font set, where canvas text finds its fonts. */
function fontSet(): FontFaceSet {
  const fonts = (globalThis as { fonts?: FontFaceSet }).fonts ?? globalThis.document?.fonts;
  if (!fonts) throw new Error('this browser context has no font set for canvas text');
  return fonts;
}

/** Loads and registers faces; returns them so they can be removed again. */
async function register(family: string, weight: 400 | 700, sources: ArrayBuffer[]) {
  const faces = sources.map((data) => new FontFace(family, data, { weight: String(weight) }));
  await Promise.all(faces.map((f) => f.load()));
  const set = fontSet();
  for (const f of faces) set.add(f);
  return faces;
}

/** Releases faces registered by `register`. */
function unregister(faces: FontFace[]): void {
  const set = fontSet();
  for (const f of faces) set.delete(f);
}

let nextFamily = 0;

/**
 * The font a text overlay names: null → the bundled DejaVu Sans; a DejaVu Sans path or name →
 * the bundled one unless the host's assets hold that file; any other name → that asset, or an
 * error saying where Weft looked.
 */
export async function loadFont(
  ctx: NodeContext<CompositorParams>,
  name: string | null,
  signal: AbortSignal,
): Promise<LoadedFont> {
  const dejavu =
    name === null
      ? { bold: false }
      : (() => {
          const m = DEJAVU_NAME.exec(name);
          return m ? { bold: m.groups?.['bold'] !== undefined } : undefined;
        })();
  const open = ctx.host.openAsset;
  if (name !== null && open) {
    // Read and registered once per session and name; a DejaVu name missing from the assets is
    // remembered as such (null) and the bundled copy stands in.
    const own = await ctx.shared(
      `font:${name}`,
      async () => {
        const blob = await open(name, signal).catch((error: unknown) => {
          if (dejavu) return undefined;
          throw new Error(
            `font '${name}' could not be read from the assets (${error instanceof Error ? error.message : String(error)}); put it under the server's --assets folder, or leave font_name out for the bundled DejaVu Sans`,
          );
        });
        if (!blob) return null;
        const family = `weft-font-${nextFamily++}`;
        return {
          font: { family, weight: 400 as const },
          faces: await register(family, 400, [await blob.arrayBuffer()]),
        };
      },
      (v) => {
        if (v) unregister(v.faces);
      },
    );
    if (own) return own.font;
  }
  if (!dejavu) {
    throw new Error(
      `font '${name}' needs the host's asset service, which this host does not offer; leave font_name out for the bundled DejaVu Sans`,
    );
  }
  const weight: 400 | 700 = dejavu.bold ? 700 : 400;
  if (!open)
    throw new Error(
      "text overlays need the host's asset service (for the bundled font), which this host does not offer",
    );
  const file = BUNDLED_FONT_ASSETS[weight === 700 ? 'bold' : 'regular'];
  const held = await ctx.shared(
    `font:bundled:${weight}`,
    async () => {
      const data = await (await open(file, signal)).arrayBuffer();
      return { font: { family: BUNDLED_FAMILY, weight }, faces: await register(BUNDLED_FAMILY, weight, [data]) };
    },
    (v) => unregister(v.faces),
  );
  return held.font;
}

/** Bytes of a base64 string (whitespace ignored); an error names the overlay when it is not base64. */
function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/\s+/g, ''));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Decodes an image overlay (PNG, JPEG, WebP, GIF's first frame). The caller closes the bitmap. */
export async function loadImage(
  ctx: NodeContext<CompositorParams>,
  overlay: ImageOverlay,
  signal: AbortSignal,
): Promise<ImageBitmap> {
  let blob: Blob;
  if (overlay.data_base64 !== undefined) {
    blob = new Blob([fromBase64(overlay.data_base64)]);
  } else {
    const path = overlay.asset_path ?? '';
    if (!ctx.host.openAsset)
      throw new Error(`image '${path}' needs the host's asset service, which this host does not offer`);
    blob = await ctx.host.openAsset(path, signal);
  }
  try {
    return await createImageBitmap(blob);
  } catch (error) {
    const what = overlay.asset_path !== undefined ? `image '${overlay.asset_path}'` : 'the data_base64 image';
    throw new Error(
      `${what} could not be decoded (${error instanceof Error ? error.message : String(error)}); use PNG, JPEG or WebP (SVG is not decoded off the main thread)`,
      { cause: error },
    );
  }
}
