/** The Berbix sandbox's controls, over its HTTP `/_sandbox/` endpoints. */
import { integrationConfig } from './config';

export interface SandboxCall {
  method: string;
  path: string;
  status: number | null;
  transactionId?: number;
  fault?: string;
  /** A connection dropped after handling: the status the call would have had. */
  handledStatus?: number;
}

async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${integrationConfig().sandboxUrl}/_sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`sandbox ${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json().catch(() => ({}))) as T;
}

/** Every call the sandbox received, oldest first. */
export async function allCalls(): Promise<SandboxCall[]> {
  return (await control<{ calls: SandboxCall[] }>('GET', 'calls')).calls;
}

/** The calls the sandbox received for one Berbix transaction (an injected fault knows no transaction). */
export async function callsFor(transactionId: number): Promise<SandboxCall[]> {
  return (await allCalls()).filter((c) => c.transactionId === transactionId);
}

/**
 * Sets Berbix faults. With `customerUidPrefix`, only the transactions of users whose sub starts
 * with it are affected (see `newUser(prefix)`), so a test's faults never reach another test.
 */
export const setFaults = (faults: Record<string, unknown>) => control('PUT', 'faults', faults);
/** Clears one prefix's faults, or all of them. */
export const clearFaults = (customerUidPrefix?: string) =>
  control(
    'DELETE',
    customerUidPrefix === undefined
      ? 'faults'
      : `faults?customerUidPrefix=${encodeURIComponent(customerUidPrefix)}`,
  );
export interface SandboxTransaction {
  transactionId: number;
  customerUid: string;
  nextStep: string;
  deletedAt?: string;
  completedAt?: string;
  holds: { email: boolean; phone: boolean; front: boolean; back: boolean; scan: boolean };
}

/** The sandbox's transactions of users whose sub starts with `customerUidPrefix` (every one without). */
export async function transactionsAtBerbix(customerUidPrefix?: string): Promise<SandboxTransaction[]> {
  const query =
    customerUidPrefix === undefined ? '' : `?customerUidPrefix=${encodeURIComponent(customerUidPrefix)}`;
  return (await control<{ transactions: SandboxTransaction[] }>('GET', `transactions${query}`)).transactions;
}

export const expireTokens = (transactionId: number) => control('POST', 'expire-tokens', { transactionId });
