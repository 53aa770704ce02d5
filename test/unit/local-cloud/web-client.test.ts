/** The local cloud's web client pages over real HTTP on 127.0.0.1. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webClientHandler } from '../../../local/cloud/web-client';

let server: Server;
let base: string;

beforeAll(async () => {
  const handle = webClientHandler({ uploadOrigin: 'http://127.0.0.1:9999' });
  server = createServer((req, res) => {
    void handle(req, res, (req.url ?? '/').split('?')[0]!).then((served) => {
      if (!served) res.writeHead(418).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('the page is served with its CSP (the upload origin allowed) and camera=(self)', async () => {
  const res = await fetch(`${base}/_local/web/`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('permissions-policy')).toContain('camera=(self)');
  const csp = res.headers.get('content-security-policy')!;
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("connect-src 'self' http://127.0.0.1:9999");
  expect(csp).not.toContain('unsafe-inline');
  expect(await res.text()).toContain('<script type="module" src="app.js">');
  const script = await fetch(`${base}/_local/web/app.js`);
  expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
});

test('the bare path redirects, unknown files are 404, other methods 405, other paths are left alone', async () => {
  const bare = await fetch(`${base}/_local/web`, { redirect: 'manual' });
  expect([bare.status, bare.headers.get('location')]).toEqual([308, '/_local/web/']);
  expect((await fetch(`${base}/_local/web/nope.js`)).status).toBe(404);
  expect((await fetch(`${base}/_local/web/`, { method: 'POST' })).status).toBe(405);
  expect((await fetch(`${base}/_local/tokens`)).status).toBe(418);
});
