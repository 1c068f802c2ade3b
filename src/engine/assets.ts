/**
 * Assets (model files, fonts, images) reach nodes through the host's asset service, from Weft's
 * own origin under one URL path; this is the rule for their names, shared by hosts and servers.
 */

/** The URL path under which Weft's origins (the server, the headless bridge) serve assets. */
export const ASSETS_URL_PATH = '/weft-assets/';

/** Relative segments of safe characters; no empty, `.` or `..` segment. */
const ASSET_PATH = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/** Whether `path` names an asset (e.g. `fonts/Inter.ttf`) without leaving the asset root. */
export function isAssetPath(path: string): boolean {
  return path.length <= 512 && ASSET_PATH.test(path);
}

/**
 * Assets every Weft origin serves without configuration (after the user's own asset folder): the
 * bundled DejaVu Sans font (Fontsource's Latin WOFF2), the compositor's default text font.
 */
export const BUNDLED_FONT_ASSETS = {
  regular: 'weft/fonts/DejaVuSans.woff2',
  bold: 'weft/fonts/DejaVuSans-Bold.woff2',
} as const;

/** Weft's mark (a 128×128 PNG with alpha, samples/images/weft-mark.png), for watermark samples. */
export const BUNDLED_MARK_ASSET = 'weft/images/weft-mark.png';
