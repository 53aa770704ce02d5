/** Flows and sandbox readings shared by the Berbix fault scenarios. */
import {
  api,
  awaiting,
  createVerification,
  hasStatus,
  upload,
  waitForVerification,
  type Verification,
} from '../../integration/support/api';
import { integrationConfig } from '../../integration/support/config';
import { barcodeBase64, image } from '../../integration/support/images';
import type { SandboxCall } from '../../integration/support/sandbox';

/** Berbix faults retried with backoff take longer than a clean flow: each wait gets this much. */
export const FAULTY = { timeoutMs: 90_000 };

export type Document = 'drivers_licence' | 'passport' | 'barcode';

/** Uploads what `document` needs, step by step as a client app would, and waits for completion. */
export async function completeFlow(id: string, token: string, document: Document): Promise<Verification> {
  if (document === 'barcode') {
    const scan = await api('POST', `/verifications/${id}/id-scans`, {
      token,
      json: { scan_type: 'pdf417', data: barcodeBase64() },
    });
    if (scan.status >= 300) throw new Error(`id-scan answered ${scan.status}: ${JSON.stringify(scan.body)}`);
  } else if (document === 'passport') {
    await upload(id, token, 'document_front', image('passport'));
  } else {
    await upload(id, token, 'document_front', image('driversLicenseFront'));
    await waitForVerification(id, token, awaiting('upload_document_back'), FAULTY);
    await upload(id, token, 'document_back', image('driversLicenseBack'));
  }
  return waitForVerification(id, token, hasStatus('completed'), FAULTY);
}

/** The create body for `document` (a passport has no back: Berbix skips it for id_type P). */
export const createBody = (document: Document) =>
  document === 'passport' ? { id_country: 'GB', id_type: 'P' } : { id_country: 'US', id_type: 'DL' };

/** Creates a verification for `document` and carries it to completion. */
export async function verify(token: string, document: Document): Promise<Verification> {
  const created = await createVerification(token, createBody(document));
  return completeFlow(created.id, token, document);
}

/**
 * Uploads Berbix processed for a transaction: answered 200, or handled with a 200 and then cut off
 * (a drop after handling logs no status but the one it would have had). Faults injected before
 * processing and 409s for repeats Berbix had already taken, answered or cut off, are not processing.
 */
export function processedUploads(calls: SandboxCall[], transactionId: number, path = '/v0/images/upload') {
  return calls.filter(
    (c) => c.path === path && c.transactionId === transactionId && (c.status ?? c.handledStatus) === 200,
  ).length;
}

/** How many of the scope's burst faults are left (0: every one was injected). */
export async function burstRemaining(customerUidPrefix: string): Promise<number | undefined> {
  const res = await fetch(`${integrationConfig().sandboxUrl}/_sandbox/faults`);
  const body = (await res.json()) as {
    scoped: Array<{ customerUidPrefix?: string; burstRemaining: number }>;
  };
  return body.scoped.find((s) => s.customerUidPrefix === customerUidPrefix)?.burstRemaining;
}

/** Runs `work` over `items`, at most `limit` at a time (the machine has two cores). */
export async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
