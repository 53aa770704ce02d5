import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_LOCAL_API,
  DISCOVERY_FILE,
  isLocalCloud,
  isLoopback,
  localCandidates,
  removeDiscoveryFile,
  writeDiscoveryFile,
} from '../../../cli/local-cloud';

const project = () => mkdtempSync(path.join(os.tmpdir(), 'berbix-cli-discovery-'));

describe('finding the local cloud', () => {
  it('tries the URL npm start recorded, from any folder below the project, then the default', () => {
    const dir = project();
    writeDiscoveryFile(dir, 'http://127.0.0.1:4123', 42);
    const below = path.join(dir, 'a', 'b');
    mkdirSync(below, { recursive: true });
    expect(localCandidates(below)).toEqual(['http://127.0.0.1:4123', DEFAULT_LOCAL_API]);
  });

  it('removes the record only for the process that wrote it', () => {
    const dir = project();
    writeDiscoveryFile(dir, 'http://127.0.0.1:4123', 42);
    removeDiscoveryFile(dir, 43);
    expect(JSON.parse(readFileSync(path.join(dir, DISCOVERY_FILE), 'utf8'))).toEqual({
      apiUrl: 'http://127.0.0.1:4123',
      pid: 42,
    });
    removeDiscoveryFile(dir, 42);
    expect(localCandidates(dir)).toEqual([DEFAULT_LOCAL_API]);
  });

  it('ignores a damaged record', () => {
    const dir = project();
    mkdirSync(path.join(dir, '.local'));
    writeFileSync(path.join(dir, DISCOVERY_FILE), '{not json');
    expect(localCandidates(dir)).toEqual([DEFAULT_LOCAL_API]);
  });

  it('recognises a local cloud by its issuer document, and nothing else', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/_local/issuer/.well-known/openid-configuration') res.writeHead(200).end('{}');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expect(isLocalCloud(url)).resolves.toBe(true);
      await expect(isLocalCloud(`${url}/elsewhere`)).resolves.toBe(false);
    } finally {
      server.close();
    }
    await expect(isLocalCloud(url)).resolves.toBe(false);
  });

  it('mints tokens only for an API on this machine', () => {
    expect(isLoopback('http://127.0.0.1:4000')).toBe(true);
    expect(isLoopback('http://localhost:4000/')).toBe(true);
    expect(isLoopback('https://abc.execute-api.us-east-1.amazonaws.com')).toBe(false);
    expect(isLoopback('not a url')).toBe(false);
  });
});
