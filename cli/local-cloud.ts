/**
 * Finding a running local cloud (`npm start`) and minting its tokens. `npm start` records its API
 * URL in `.local/cloud.json` of the project and removes the file when it stops; without that file
 * the CLI tries the default address.
 */
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SCOPES } from '../lambdas/contract/scopes';

export const DISCOVERY_FILE = path.join('.local', 'cloud.json');
export const DEFAULT_LOCAL_API = 'http://127.0.0.1:4000';
/** The scopes the local cloud's stack is synthesized with (the stack's defaults). */
export const LOCAL_SCOPES = DEFAULT_SCOPES;

interface DiscoveryRecord {
  apiUrl: string;
  pid: number;
}

export function writeDiscoveryFile(projectDir: string, apiUrl: string, pid = process.pid): void {
  const file = path.join(projectDir, DISCOVERY_FILE);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ apiUrl, pid } satisfies DiscoveryRecord)}\n`);
}

/** Removes the file if this process wrote it (another `npm start` may have replaced it since). */
export function removeDiscoveryFile(projectDir: string, pid = process.pid): void {
  const file = path.join(projectDir, DISCOVERY_FILE);
  if (readRecord(file)?.pid === pid) rmSync(file, { force: true });
}

function readRecord(file: string): DiscoveryRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as Partial<DiscoveryRecord>;
    return typeof record.apiUrl === 'string' && typeof record.pid === 'number'
      ? { apiUrl: record.apiUrl, pid: record.pid }
      : undefined;
  } catch {
    return undefined;
  }
}

/** The API URLs to try, nearest first: recorded ones from `dir` up to the root, then the default. */
export function localCandidates(dir: string): string[] {
  const found: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const record = readRecord(path.join(at, DISCOVERY_FILE));
    if (record) found.push(record.apiUrl);
    if (path.dirname(at) === at) break;
  }
  return [...new Set([...found, DEFAULT_LOCAL_API])];
}

export const isLoopback = (url: string): boolean => {
  const host = URL.canParse(url) ? new URL(url).hostname : '';
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
};

/** A local cloud answers at `apiUrl`: its issuer document is there. */
export async function isLocalCloud(apiUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${apiUrl}/_local/issuer/.well-known/openid-configuration`, {
      signal: AbortSignal.timeout(2000),
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

export async function findLocalCloud(dir = process.cwd()): Promise<string | undefined> {
  for (const url of localCandidates(dir)) if (await isLocalCloud(url)) return url;
  return undefined;
}

export interface MintedToken {
  token: string;
  sub: string;
  scopes: string[];
  expires_in: number;
}

/** A token from the local cloud's dev issuer; undefined when `apiUrl` is not a local cloud. */
export async function mintLocalToken(
  apiUrl: string,
  sub: string,
  scopes: string[],
  expiresInSeconds = 3600,
): Promise<MintedToken | undefined> {
  const res = await fetch(`${apiUrl}/_local/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub, scopes, expires_in: expiresInSeconds }),
  });
  if (res.status !== 201) {
    await res.body?.cancel();
    return undefined;
  }
  return (await res.json()) as MintedToken;
}
