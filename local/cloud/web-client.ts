/**
 * Serves the reference web client (web/, built in memory with esbuild on first request) at
 * `/_local/web/` on the local HTTP API: same origin as the API, so the page calls it and the local
 * token endpoint without CORS, with the Content-Security-Policy and Permissions-Policy that
 * docs/web-client.md asks integrators for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildWebClient, type WebClientFile } from '../../web/build';

export const WEB_CLIENT_PATH = '/_local/web/';

/** The page's policy: its own scripts and styles only, the API (its origin) and the upload bucket. */
export function webClientHeaders(uploadOrigin: string): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' blob:",
      "media-src 'self' blob:",
      `connect-src 'self' ${uploadOrigin}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'permissions-policy': 'camera=(self), microphone=(), geolocation=()',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  };
}

/** A handler for `GET /_local/web/...`; answers false for any other path. */
export function webClientHandler(options: { uploadOrigin: string }) {
  let files: Promise<Map<string, WebClientFile>> | undefined;
  const headers = webClientHeaders(options.uploadOrigin);
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (path === WEB_CLIENT_PATH.slice(0, -1)) {
      res.writeHead(308, { location: WEB_CLIENT_PATH }).end();
      return true;
    }
    if (!path.startsWith(WEB_CLIENT_PATH)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    files ??= buildWebClient();
    const built = await files.catch((err: unknown) => {
      files = undefined; // a fixed source builds on the next request
      throw err;
    });
    const file = built.get(path.slice(WEB_CLIENT_PATH.length) || 'index.html');
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found');
      return true;
    }
    res.writeHead(200, { ...headers, 'content-type': file.contentType, 'content-length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}
