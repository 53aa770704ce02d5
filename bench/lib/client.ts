/**
 * A client app as the benchmarks drive it: real HTTP to the local HTTP API and real multipart
 * POSTs to the presigned S3 forms. Waiting for a verdict uses `GET /verifications/{id}?wait=` when
 * the API offers it (an ETag to send back as If-None-Match), and otherwise polls every `pollMs`.
 */
import { randomUUID } from 'node:crypto';

export const CLIENT_SCOPE = 'verifications/client';
export const BACKEND_SCOPE = 'verifications/backend';

export interface Verification {
  id: string;
  status: string;
  next_step: string | null;
  issues: string[];
  attempts: Record<string, number>;
}

export interface UploadForm {
  url: string;
  fields: Record<string, string>;
}

export interface ClientOptions {
  /** Polling interval when the API cannot wait for a change. @default 150 (as the repository's test client) */
  pollMs?: number;
  /** Seconds to ask `?wait=` for. @default 10 */
  waitSeconds?: number;
  /** Give up waiting for a state after this long. @default 120000 */
  timeoutMs?: number;
  /**
   * Answers of 503 or 429 are tried again after their `Retry-After`, up to this many times per
   * request, as docs/operations.md tells clients to (creates carry an Idempotency-Key then).
   * @default 0
   */
  busyRetries?: number;
}

export interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** Statuses a verification never leaves. */
const FINAL_STATUSES = ['completed', 'failed', 'abandoned', 'deleted'];

export class ApiClient {
  readonly pollMs: number;
  readonly waitSeconds: number;
  readonly timeoutMs: number;
  /** HTTP requests sent to the API (not S3), for the cost benchmark. */
  requests = 0;
  /** Of those, GET /verifications/{id} calls made while waiting for a verdict. */
  statusReads = 0;
  readonly busyRetries: number;
  /** Answers of 503 or 429 that were tried again. */
  retriedWhenBusy = 0;

  constructor(
    readonly apiUrl: string,
    options: ClientOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 150;
    this.waitSeconds = options.waitSeconds ?? 10;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.busyRetries = options.busyRetries ?? 0;
  }

  async call<T>(
    method: string,
    path: string,
    options: { token?: string; json?: unknown; headers?: Record<string, string>; count?: boolean } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    for (let tried = 0; ; tried += 1) {
      if (options.count !== false) this.requests += 1;
      res = await fetch(`${this.apiUrl}${path}`, {
        method,
        headers,
        body: options.json === undefined ? undefined : JSON.stringify(options.json),
      });
      if ((res.status !== 503 && res.status !== 429) || tried >= this.busyRetries) break;
      this.retriedWhenBusy += 1;
      await res.arrayBuffer();
      const seconds = Number(res.headers.get('retry-after'));
      await new Promise((r) =>
        setTimeout(r, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000),
      );
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: body as T, headers: res.headers };
  }

  /** A token from the local dev issuer (a local-only route: not counted as an API request). */
  async mintToken(sub: string, scopes: string[] = [CLIENT_SCOPE]): Promise<string> {
    const res = await this.call<{ token: string }>('POST', '/_local/tokens', {
      json: { sub, scopes, expires_in: 3600 },
      count: false,
    });
    if (res.status !== 201) throw new Error(`minting a token answered ${res.status}`);
    return res.body.token;
  }

  async newUser(prefix = 'bench-'): Promise<{ sub: string; token: string }> {
    const sub = `${prefix}${randomUUID()}`;
    return { sub, token: await this.mintToken(sub) };
  }

  /** POST /verifications; the answer (201 or 202) as is. */
  async create(token: string, body: Record<string, unknown>): Promise<Answer<Verification>> {
    // A create tried again must not make a second verification.
    const headers: Record<string, string> = this.busyRetries > 0 ? { 'idempotency-key': randomUUID() } : {};
    const res = await this.call<Verification>('POST', '/verifications', { token, json: body, headers });
    if (res.status !== 201 && res.status !== 202)
      throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res;
  }

  /**
   * Waits until `until` holds for the verification. With an ETag from the API it long-polls with
   * `?wait=` and If-None-Match; without one it polls every `pollMs`.
   */
  async waitFor(id: string, token: string, until: (v: Verification) => boolean): Promise<Verification> {
    const deadline = Date.now() + this.timeoutMs;
    let etag: string | null = null;
    let last: Answer<Verification> | undefined;
    while (Date.now() < deadline) {
      const headers: Record<string, string> = etag ? { 'if-none-match': etag } : {};
      this.statusReads += 1;
      const res = await this.call<Verification>('GET', `/verifications/${id}?wait=${this.waitSeconds}`, {
        token,
        headers,
      });
      if (res.status === 200) {
        last = res;
        if (until(res.body)) return res.body;
        if (FINAL_STATUSES.includes(res.body.status)) break;
        etag = res.headers.get('etag');
      } else if (res.status !== 304) {
        throw new Error(`GET /verifications/${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
      // Without an ETag the API answered at once: poll. With one, it already waited for a change.
      if (!etag) await new Promise((r) => setTimeout(r, this.pollMs));
    }
    throw new Error(
      `verification ${id} did not reach the state awaited; last seen ${JSON.stringify(last?.body)}`,
    );
  }

  async uploadForm(id: string, token: string, step: string, contentType = 'image/jpeg'): Promise<UploadForm> {
    const res = await this.call<UploadForm>('POST', `/verifications/${id}/uploads`, {
      token,
      json: { step, content_type: contentType },
    });
    if (res.status !== 201)
      throw new Error(`upload form answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** A multipart POST of the image to the presigned form, as a browser sends it. */
  async postForm(form: UploadForm, bytes: Uint8Array, contentType = 'image/jpeg'): Promise<void> {
    const body = new FormData();
    for (const [k, v] of Object.entries(form.fields)) body.append(k, v);
    body.append('file', new Blob([new Uint8Array(bytes)], { type: contentType }), 'upload');
    const res = await fetch(form.url, { method: 'POST', body });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`S3 refused the upload: ${res.status} ${text}`);
  }

  /** Asks for a form and posts the image to it. */
  async upload(id: string, token: string, step: string, image: { bytes: Uint8Array; format: string }) {
    const form = await this.uploadForm(id, token, step, image.format);
    await this.postForm(form, image.bytes, image.format);
  }

  async scan(id: string, token: string, base64: string): Promise<void> {
    const res = await this.call('POST', `/verifications/${id}/id-scans`, {
      token,
      json: { scan_type: 'pdf417', data: base64 },
    });
    if (res.status >= 300) throw new Error(`id-scans answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  async result(id: string, backendToken: string): Promise<unknown> {
    const res = await this.call('GET', `/verifications/${id}/result`, { token: backendToken });
    if (res.status !== 200) throw new Error(`result answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

export const awaiting = (nextStep: string) => (v: Verification) =>
  v.status === 'awaiting_upload' && v.next_step === nextStep;
export const hasStatus = (status: string) => (v: Verification) => v.status === status;
export const notCreating = (v: Verification) => v.status !== 'creating';
/** The `attempt`-th upload of `step` has been judged (the pipeline waits again, or moved on). */
export const judged = (step: string, attempt: number) => (v: Verification) =>
  (v.attempts[step] ?? 0) >= attempt && v.status !== 'processing';

/** Sets (or clears, with `{}`) the sandbox's faults for every caller. */
export async function setSandboxFaults(sandboxUrl: string, faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sandboxUrl}/_sandbox/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!res.ok) throw new Error(`sandbox faults answered ${res.status}: ${await res.text()}`);
}

export interface SandboxCall {
  method: string;
  path: string;
  status: number | null;
  transactionId?: number;
  timestamp: string;
}

export async function sandboxCalls(sandboxUrl: string): Promise<SandboxCall[]> {
  const res = await fetch(`${sandboxUrl}/_sandbox/calls`);
  return ((await res.json()) as { calls: SandboxCall[] }).calls;
}

export async function clearSandboxCalls(sandboxUrl: string): Promise<void> {
  await fetch(`${sandboxUrl}/_sandbox/calls`, { method: 'DELETE' });
}
