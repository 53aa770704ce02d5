/**
 * The version of a verification as its caller sees it (an ETag), and the rules of a read that
 * waits for it to change: `GET /verifications/{id}?wait=<seconds>` with `If-None-Match`.
 * Pure: no AWS, no I/O.
 */
import { createHash } from 'node:crypto';
import type { VerificationView } from './view';

/** The longest a read may wait for a change: well under API Gateway's 30 s integration timeout. */
export const MAX_WAIT_SECONDS = 20;

/**
 * A weak ETag (`W/"…"`) of everything the caller sees but `updated_at`: status, next step, issues
 * and their details, attempts, result, failure reason, deletion state. Weak because two answers
 * with the same tag may differ in `updated_at` alone (a write the caller cannot see, e.g. an
 * internal bookkeeping field), which is no change worth waking a waiting client for.
 */
export function verificationEtag(view: VerificationView): string {
  const { updated_at: _updatedAt, ...visible } = view;
  const digest = createHash('sha256').update(canonicalJson(visible)).digest('base64url');
  return `W/"${digest.slice(0, 22)}"`;
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Whether `If-None-Match` names the current version (RFC 9110 §13.1.2: weak comparison; a list
 * of tags or `*`). An absent or empty header names nothing.
 */
export function ifNoneMatchHolds(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const current = opaque(etag);
  return header.split(',').some((tag) => {
    const candidate = tag.trim();
    return candidate === '*' || (candidate.length > 0 && opaque(candidate) === current);
  });
}

export type WaitParameter = { ok: true; seconds: number } | { ok: false; message: string };

/** `wait`: absent (no wait), or a whole number of seconds from 0 to `MAX_WAIT_SECONDS`. */
export function parseWaitParameter(raw: string | undefined): WaitParameter {
  if (raw === undefined) return { ok: true, seconds: 0 };
  if (!/^[0-9]{1,3}$/.test(raw) || Number(raw) > MAX_WAIT_SECONDS)
    return { ok: false, message: `must be a whole number of seconds from 0 to ${MAX_WAIT_SECONDS}` };
  return { ok: true, seconds: Number(raw) };
}

/** Bounds of an adaptive poll: the first reads come quickly, then the pace slows with the wait. */
export interface PollPace {
  /** @default 20 */
  minMs?: number;
  maxMs: number;
}

/**
 * How long to pause before the next read of something expected to change soon: a sixteenth of
 * the time waited so far, within `[minMs, maxMs]`. A change is noticed at most a sixteenth of the
 * wait late (and never later than `maxMs`; 21 ms for a Berbix call of 300 ms), with a number of
 * reads that grows with the log of the wait (18 in the first 350 ms, 85 in 20 s at most 1 s apart).
 */
export function pollDelayMs(waitedMs: number, { minMs = 20, maxMs }: PollPace): number {
  return Math.round(Math.min(maxMs, Math.max(minMs, waitedMs / 16)));
}
