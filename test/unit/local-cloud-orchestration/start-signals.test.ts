/**
 * `npm start` as a developer runs it, stopped every way it can be: each signal sent to the npm
 * process alone (npm passes SIGINT and SIGTERM on, not SIGHUP), and npm killed outright (SIGKILL). Whatever
 * the way, no process of the local cloud may outlive it. Each cloud runs on a free port, in its
 * own process group so the test can clean up after a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_API_PORT } from '../../../local/cloud';
import { LOCAL_AUDIENCE, localIssuerUrl } from '../../../local/cloud/dev-issuer';
import { descendantPids, isAlive } from '../../../local/cloud/process-tree';
import { synthesize } from '../../../local/cloud/template';

const PROJECT_DIR = path.resolve(__dirname, '../../..');
const START_TIMEOUT_MS = 150_000;
const STOP_TIMEOUT_MS = 30_000;

interface Started {
  npm: ChildProcess;
  output: () => string;
  up: Promise<void>;
}

function npmStart(): Started {
  const npm = spawn('npm', ['start', '--', '--port', '0'], {
    cwd: PROJECT_DIR,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BERBIX_API_URL: '', BERBIX_API_SECRET: '', BERBIX_TEMPLATE_KEY: '' },
  });
  let output = '';
  const up = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not up in time:\n${output}`)), START_TIMEOUT_MS);
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('local cloud is up')) {
        clearTimeout(timer);
        resolve();
      }
    };
    npm.stdout!.on('data', read);
    npm.stderr!.on('data', read);
    npm.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`npm start exited before it was up:\n${output}`));
    });
  });
  up.catch(() => undefined);
  return { npm, output: () => output, up };
}

/** Waits until none of `pids` is alive, or the bound passes; answers those still alive. */
async function survivors(pids: number[]): Promise<number[]> {
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(isAlive);
}

const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return `pid ${pid}`;
  }
};

describe('npm start stops every process it started', () => {
  // SIGKILL: npm dies without passing anything on, and its children are orphaned.
  const ways = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGKILL'] as const;
  const clouds = new Map<(typeof ways)[number], Started>();

  // Started together once the stack is synthesized (as npm start would, same context): each cold
  // start is then mostly waiting for java, and they do not share a port.
  beforeAll(async () => {
    await synthesize({
      projectDir: PROJECT_DIR,
      context: { jwtIssuer: localIssuerUrl(DEFAULT_API_PORT), jwtAudience: LOCAL_AUDIENCE },
    });
    for (const way of ways) clouds.set(way, npmStart());
  }, 10 * 60_000);

  afterAll(() => {
    for (const { npm } of clouds.values()) {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // the group is gone: nothing was left
      }
    }
  });

  it.each(ways)(
    'when npm gets %s',
    async (way) => {
      const { npm, up, output } = clouds.get(way)!;
      await up;
      const tree = descendantPids(npm.pid!);
      // npm's own child is node running bin/start.ts; the cloud's java runs under it.
      expect(tree.map(commandOf).join('\n')).toMatch(/java/);
      npm.kill(way);
      const left = await survivors([npm.pid!, ...tree]);
      expect({ way, left: left.map(commandOf), output: left.length > 0 ? output() : '' }).toEqual({
        way,
        left: [],
        output: '',
      });
    },
    START_TIMEOUT_MS + STOP_TIMEOUT_MS + 10_000,
  );
});
