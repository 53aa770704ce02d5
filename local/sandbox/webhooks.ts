import { createHmac } from 'node:crypto';

export interface WebhookConfig {
  url: string;
  secret: string;
}

export interface WebhookDelivery {
  event: WebhookEvent;
  transactionId: number;
  attempt: number;
  /** HTTP status of the receiver's answer, or null if it could not be reached. */
  status: number | null;
  timestamp: string;
}

export type WebhookEvent = 'verification_finished' | 'verification_status';

/** `v0,<ts>,hex(HMAC_SHA256(secret, "<ts>,<secret>,<raw body>"))`, as Berbix signs webhooks. */
export function signWebhook(secret: string, timestampSeconds: number, rawBody: string): string {
  const digest = createHmac('sha256', secret)
    .update(`${timestampSeconds},${secret},${rawBody}`)
    .digest('hex');
  return `v0,${timestampSeconds},${digest}`;
}

const RETRY_DELAYS_MS = [0, 500, 2000];

/**
 * Delivers signed webhooks in the background: up to three attempts on a non-2xx or network
 * failure. Each attempt is re-signed with a fresh timestamp.
 */
export class WebhookSender {
  private readonly deliveries: WebhookDelivery[] = [];
  private readonly abort = new AbortController();
  private readonly pending = new Set<Promise<void>>();

  constructor(private config: WebhookConfig | undefined) {}

  configure(config: WebhookConfig | undefined): void {
    this.config = config;
  }

  get configured(): WebhookConfig | undefined {
    return this.config;
  }

  log(): WebhookDelivery[] {
    return this.deliveries.map((d) => ({ ...d }));
  }

  send(event: WebhookEvent, payload: { transaction_id: number } & Record<string, unknown>): void {
    const config = this.config;
    if (!config) return;
    const body = JSON.stringify({ event, ...payload });
    const job = this.deliver(config, event, payload.transaction_id, body).finally(() =>
      this.pending.delete(job),
    );
    this.pending.add(job);
  }

  /** Resolves when every delivery in flight has finished (tests use it instead of sleeping). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.idle();
  }

  private async deliver(config: WebhookConfig, event: WebhookEvent, transactionId: number, body: string) {
    for (const [index, delay] of RETRY_DELAYS_MS.entries()) {
      if (delay > 0 && !(await sleep(delay, this.abort.signal))) return;
      let status: number | null = null;
      try {
        const response = await fetch(config.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'BerbixSandbox/1.0',
            'x-berbix-signature': signWebhook(config.secret, Math.floor(Date.now() / 1000), body),
          },
          body,
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(10_000)]),
        });
        status = response.status;
        await response.arrayBuffer().catch(() => undefined);
      } catch {
        status = null;
      }
      this.deliveries.push({
        event,
        transactionId,
        attempt: index + 1,
        status,
        timestamp: new Date().toISOString(),
      });
      if (status !== null && status >= 200 && status < 300) return;
      if (this.abort.signal.aborted) return;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
