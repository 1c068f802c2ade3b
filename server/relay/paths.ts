/**
 * Broadcast paths on the relay: slash-separated segments, as `@moq/net` spells them. A path from a
 * URL or a token is normalised (no empty, `.` or `..` segments) before it is compared.
 */

/** The URL path the relay answers under (StreamKit's gateway path). */
export const RELAY_PATH = '/moq';

/** Segments as a canonical path: no leading, trailing or doubled slashes. */
export function normalizePath(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '')
    .join('/');
}

/** `a` and `b` joined with one slash (either may be empty). */
export function joinPath(a: string, b: string): string {
  return normalizePath(`${a}/${b}`);
}

/** Why a path may not be used, or undefined when it may. */
export function pathProblem(path: string): string | undefined {
  if (path.length > 512) return 'is longer than 512 characters';
  for (const segment of normalizePath(path).split('/')) {
    if (segment === '.' || segment === '..') return `has a '${segment}' segment`;
    if (!/^[A-Za-z0-9_.~*-]*$/.test(segment)) return `segment '${segment}' may only use letters, digits and _ . ~ -`;
  }
  return undefined;
}

/**
 * The connection root of a relay URL path: what follows `/moq` (`/moq/room` → `room`), or
 * undefined when the path is not under the relay.
 */
export function connectionRootOf(urlPath: string): string | undefined {
  if (urlPath !== RELAY_PATH && !urlPath.startsWith(`${RELAY_PATH}/`)) return undefined;
  return normalizePath(decodeURIComponent(urlPath.slice(RELAY_PATH.length)));
}
