/** Runs `berbix-serverless` (bin/berbix-serverless.mjs) as a real child process. */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const PROJECT_DIR = path.resolve(__dirname, '../../..');
export const CLI_BIN = path.join(PROJECT_DIR, 'bin', 'berbix-serverless.mjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a run: this one without the CLI's own variables, plus `env`. */
export function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('BERBIX_SERVERLESS_') && k !== 'FORCE_COLOR'),
  );
  return { ...base, ...env };
}

export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: options.cwd ?? PROJECT_DIR,
      env: cliEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
