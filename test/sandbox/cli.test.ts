import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '../../local/sandbox';

const root = join(__dirname, '../..');

describe('npm run sandbox (bin/sandbox.ts)', () => {
  it('prints its URLs, secrets, template keys and CA path, keeps the CA, and stops on SIGINT', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-'));
    try {
      const run = async () => {
        // One node process (tsx as a loader), so the signal reaches the sandbox itself.
        const child = spawn(process.execPath, ['--import', 'tsx', 'bin/sandbox.ts'], {
          cwd: root,
          env: { ...process.env, SANDBOX_DIR: dir, SANDBOX_HTTP_PORT: '0', SANDBOX_HTTPS_PORT: '0' },
        });
        let output = '';
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (chunk: Buffer) => {
            output += chunk.toString();
            if (output.includes('Ctrl-C to stop.')) resolve();
          });
          child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${output}`)));
        });
        const httpUrl = /HTTP\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        const info = (await (await fetch(`${httpUrl}/_sandbox/info`)).json()) as { caCertPem: string };
        const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
        child.kill('SIGINT');
        return { output, info, code: await exited };
      };
      const first = await run();
      expect(first.code).toBe(0);
      expect(first.output).toMatch(/HTTPS\s+https:\/\/127\.0\.0\.1:\d+/);
      expect(first.output).toContain('secret_test_sandbox_0123456789abcdef');
      expect(first.output).toMatch(/Webhook secret\s+\S+/);
      expect(first.output).toContain('tmpl_sandbox_front_back');
      expect(first.output).toContain('tmpl_sandbox_barcode');
      expect(first.output).toContain(join(dir, 'ca.pem'));
      expect(await readFile(join(dir, 'ca.pem'), 'utf8')).toBe(first.info.caCertPem);
      // A restart reuses the CA, so NODE_EXTRA_CA_CERTS keeps working.
      const second = await run();
      expect(second.info.caCertPem).toBe(first.info.caCertPem);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves HTTPS with a CA passed in, trusted by a client that knows only that CA', async () => {
    const { generateCa } = await import('../../local/sandbox');
    const ca = generateCa();
    const sandbox = await startSandbox({ ca });
    try {
      expect(sandbox.caCertPem).toBe(ca.certPem);
      const { Agent, request } = await import('node:https');
      const agent = new Agent({ ca: ca.certPem });
      const status = await new Promise<number | undefined>((resolve, reject) => {
        request(`${sandbox.httpsUrl}/_sandbox/info`, { agent }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
          .on('error', reject)
          .end();
      });
      agent.destroy();
      expect(status).toBe(200);
    } finally {
      await sandbox.close();
    }
  });
});
