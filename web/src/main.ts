/**
 * The standalone page (web/index.html). On the local cloud it serves itself a client token from
 * `POST /_local/tokens` (loopback only) for a fresh user each time the page is opened; the token
 * lives in this closure, never in any storage.
 */
import { mount } from './mount';

const apiUrl =
  document.querySelector<HTMLMetaElement>('meta[name="berbix-api-url"]')?.content.trim() || location.origin;
const subject = `web-${crypto.randomUUID()}`;
let token: { value: string; expiresAt: number } | undefined;

/** The `exp` claim of a JWT, in milliseconds (0 when unreadable: the token is then asked for again). */
function expiryOf(jwt: string): number {
  try {
    const payload = JSON.parse(atob(jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as {
      exp?: number;
    };
    return (payload.exp ?? 0) * 1000;
  } catch {
    return 0;
  }
}

async function localToken(): Promise<string> {
  // A token about to expire is replaced, so an answer never comes back 401 for age alone.
  if (token && token.expiresAt - Date.now() > 30_000) return token.value;
  const res = await fetch(`${apiUrl}/_local/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: subject, scopes: ['verifications/client'], expires_in: 3600 }),
  });
  if (!res.ok) throw new Error(`The local token endpoint answered ${res.status}`);
  const { token: value } = (await res.json()) as { token: string };
  token = { value, expiresAt: expiryOf(value) };
  return value;
}

mount(document.getElementById('berbix-verification')!, {
  apiUrl,
  getToken: localToken,
  onComplete: (outcome) =>
    document.dispatchEvent(new CustomEvent('berbix-verification-complete', { detail: outcome })),
});
