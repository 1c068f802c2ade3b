/**
 * `GET /mse/<session id><path>`: the live streams of `transport::http::mse` nodes, unauthenticated
 * as in StreamKit (the session id, a random UUID, is the capability). Answers are media, never
 * documents: the content type is one the node was allowed to declare (WebM or MP4).
 */
import { Hono } from 'hono';
import type { MseStreams } from './streams';

/** The MSE routes over `streams`. */
export function mseRoutes(streams: MseStreams) {
  return new Hono().get('/mse/*', (c) => {
    const path = decodeURIComponent(c.req.path.slice('/mse/'.length));
    if (c.req.method === 'HEAD') {
      const probe = streams.probe(path);
      return c.body(null, probe.status, probe.status === 200 ? { 'content-type': probe.contentType } : {});
    }
    const answer = streams.connect(path);
    if (answer.status !== 200) return c.text(answer.message, answer.status);
    return c.body(answer.body, 200, {
      'content-type': answer.contentType,
      'cache-control': 'no-cache, no-store',
      'content-security-policy': "default-src 'none'; sandbox",
    });
  });
}
