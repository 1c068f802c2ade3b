/** Names the MoQ node definitions need without loading the MoQ libraries (they load when a node runs). */

/** StreamKit's default audio group length. */
export const DEFAULT_GROUP_DURATION_MS = 40;

/** A runtime output pin name: optional broadcast prefix, then `audio/…` or `video/…`. */
export const TRACK_PIN_PATTERN = /^(?:[A-Za-z0-9_.~-]+\/)*(?:audio|video)\/[A-Za-z0-9_.~-]+$/;

/** The relay URL for a gateway path: `/moq/room` on the server's relay (a path outside /moq goes under it). */
export function gatewayUrl(relay: string, gatewayPath: string): string {
  const url = new URL(relay);
  const path = gatewayPath.replace(/\/+$/, '');
  url.pathname = path === '/moq' || path.startsWith('/moq/') ? path : `/moq${path}`;
  return url.href;
}
