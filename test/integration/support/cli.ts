/** Runs `berbix-serverless` (bin/berbix-serverless.mjs) as a real child process. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ENV } from '../../../cli/connection';
import { recordOutput } from './observations';

export const PROJECT_DIR = path.resolve(__dirname, '../../..');
export const CLI_BIN = path.join(PROJECT_DIR, 'bin', 'berbix-serverless.mjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a run: this one without the CLI's own variables, plus `env`. */
export function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of [ENV.api, ENV.token, 'FORCE_COLOR', 'NO_COLOR']) delete base[name];
  return { ...base, ...env };
}

/**
 * For the leak scan: what the CLI printed. `result` prints the backend's result, extracted fields
 * included, by design (as `GET /verifications/{id}/result` answers them): its stdout is left out,
 * and nothing else. Only the command's name says where, never its arguments (tokens).
 */
function recordCliOutput(args: string[], stream: 'stdout' | 'stderr' | 'terminal', text: string): void {
  const command = args[0] ?? '';
  if (command === 'result' && stream !== 'stderr') return;
  recordOutput(`the CLI's ${stream} (\`${command}\`)`, text);
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
      recordCliOutput(args, 'stdout', stdout);
      recordCliOutput(args, 'stderr', stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** ANSI escape sequences (colours, cursor moves), removed to read a terminal's text. */
const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]|${ESC}[78]`, 'g');
/** A colour escape sequence (foreground colours 30–37). */
export const COLOUR = new RegExp(`${ESC}\\[3[0-7]m`);

export interface TerminalRun {
  /** Everything the terminal showed so far, escape sequences included. */
  raw(): string;
  /** The text it showed so far, without escape sequences. */
  text(): string;
  /** Resolves once the terminal shows `text` (rejects after `timeoutMs`). */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Types `line` and Enter. */
  type(line: string): void;
  exited: Promise<number | null>;
}

/** Runs the CLI in a real pseudo-terminal (python3's pty module), as a person at a terminal would. */
export function runCliInTerminal(
  args: string[],
  options: { env?: Record<string, string> } = {},
): TerminalRun {
  const child = spawn(
    'python3',
    [path.join(__dirname, 'pty-bridge.py'), process.execPath, CLI_BIN, ...args],
    {
      cwd: PROJECT_DIR,
      env: cliEnv({ TERM: 'xterm-256color', ...options.env }),
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let raw = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (c: Buffer) => {
    raw += c.toString();
    for (const check of [...waiters]) check();
  });
  const text = () => raw.replace(ANSI, '').replace(/\r/g, '');
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(killer);
      recordCliOutput(args, 'terminal', raw);
      resolve(code);
    }),
  );
  return {
    raw: () => raw,
    text,
    waitFor: (wanted, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the terminal never showed "${wanted}":\n${text()}`)),
          timeoutMs,
        );
        const check = () => {
          if (!text().includes(wanted)) return;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve();
        };
        waiters.push(check);
        check();
        void exited.then(() => {
          clearTimeout(timer);
          if (!text().includes(wanted))
            reject(new Error(`the CLI ended without showing "${wanted}":\n${text()}`));
        });
      }),
    type: (line) => child.stdin.write(`${line}\r`),
    exited,
  };
}
