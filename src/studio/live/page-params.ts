/** What the live pages read from their URL: the relay, a token, a broadcast name. */

/** The relay of the server that served the page. */
export function pageRelay(): string {
  return new URL('/moq', location.origin).href;
}

/** The `?jwt=` the page was opened with, if any. */
export function pageToken(): string | undefined {
  return new URLSearchParams(location.search).get('jwt') ?? undefined;
}

/** A watch link for a broadcast, carrying the token when one is needed. */
export function watchLink(broadcast: string, jwt: string | undefined): string {
  const url = new URL(`/watch/${broadcast.split('/').map(encodeURIComponent).join('/')}`, location.origin);
  if (jwt) url.searchParams.set('jwt', jwt);
  return url.href;
}

/** The broadcast named by a `/watch/<broadcast>` path. */
export function watchedBroadcast(pathname: string): string | undefined {
  const m = /^\/watch\/(.+)$/.exec(pathname);
  return m?.[1] ? m[1].split('/').map(decodeURIComponent).join('/') : undefined;
}

/** An element the page's HTML declares, by id and type. */
export function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`the page has no #${id}`);
  return el;
}
