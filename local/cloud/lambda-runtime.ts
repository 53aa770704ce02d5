/**
 * Runs Lambda functions locally: each execution environment is a worker thread with its own
 * `process.env`, which loads the function's bundled code once (cold start) and handles one
 * invocation at a time, like Lambda. Concurrent invocations get more environments; a timed-out or
 * crashed environment is discarded.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';

export interface LambdaFunctionSpec {
  name: string;
  arn: string;
  assetDir: string;
  handler: string;
  timeoutSeconds: number;
  memorySize: number;
  /** The whole environment of the function: nothing of the host's leaks in. */
  environment: Record<string, string>;
}

/** How Lambda reports a function error (the event and the stack are never sent to callers). */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type InvokeResult = { ok: true; payload: unknown } | { ok: false; error: LambdaError };

export interface LambdaRuntimeOptions {
  functions: LambdaFunctionSpec[];
  /** Each output line of a function, already prefixed with its name. @default process.stdout/stderr */
  log?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Environments per function at most; further invocations queue. @default 10 */
  maxConcurrency?: number;
}

export interface LambdaRuntime {
  /** Invokes a function by name or (possibly qualified) ARN. */
  invoke(functionName: string, event: unknown): Promise<InvokeResult>;
  /** Like invoke, but throws an Error whose `name` is the Lambda errorType (for Step Functions). */
  invokeOrThrow(functionName: string, event: unknown): Promise<unknown>;
  /** Names of the functions this runtime runs. */
  readonly functionNames: string[];
  /** Number of live execution environments (cold starts that are still warm). */
  environmentCount(functionName?: string): number;
  close(): Promise<void>;
}

/** Thrown by invokeOrThrow: name = the Lambda errorType, as Step Functions sees it. */
export class LambdaFunctionError extends Error {
  constructor(readonly lambdaError: LambdaError) {
    super(lambdaError.errorMessage);
    this.name = lambdaError.errorType;
  }
}

const WORKER_FILE = path.join(__dirname, 'lambda-worker.mjs');

interface Pending {
  resolve(result: InvokeResult): void;
  timer: NodeJS.Timeout;
}

/** One execution environment. */
class Environment {
  readonly id = randomUUID().replace(/-/g, '');
  readonly worker: Worker;
  readonly ready: Promise<LambdaError | undefined>;
  readonly createdAt = performance.now();
  /** How long loading the code took (Lambda's Init Duration), once it is loaded. */
  initMs?: number;
  invocations = 0;
  busy = false;
  dead = false;
  private pending?: { requestId: string } & Pending;

  constructor(
    private readonly spec: LambdaFunctionSpec,
    log: (line: string, stream: 'stdout' | 'stderr') => void,
    private readonly onDeath: (env: Environment) => void,
  ) {
    this.worker = new Worker(WORKER_FILE, {
      env: spec.environment,
      stdout: true,
      stderr: true,
      workerData: {
        assetDir: spec.assetDir,
        handler: spec.handler,
        functionName: spec.name,
        functionArn: spec.arn,
        memorySize: spec.memorySize,
        logGroupName: `/aws/lambda/${spec.name}`,
      },
    });
    prefixLines(this.worker.stdout, `[${spec.name}]`, (l) => log(l, 'stdout'));
    prefixLines(this.worker.stderr, `[${spec.name}]`, (l) => log(l, 'stderr'));
    this.ready = new Promise((resolve) => {
      const onMessage = (msg: { type: string; error?: LambdaError }) => {
        this.initMs = performance.now() - this.createdAt;
        if (msg.type === 'ready') resolve(undefined);
        else if (msg.type === 'init-error') resolve(msg.error);
        else return;
        this.worker.off('message', onMessage);
      };
      this.worker.on('message', onMessage);
      // An uncaught error while loading (e.g. a rejected promise at module scope) ends the environment.
      this.worker.once('error', (err) =>
        resolve({ errorType: err.name || 'Runtime.ExitError', errorMessage: err.message }),
      );
      this.worker.once('exit', (code) =>
        resolve({
          errorType: 'Runtime.ExitError',
          errorMessage: `Runtime exited during init with code ${code}`,
        }),
      );
    });
    this.worker.on(
      'message',
      (msg: { type: string; requestId?: string; payload?: unknown; error?: LambdaError }) => {
        if ((msg.type !== 'result' && msg.type !== 'error') || msg.requestId !== this.pending?.requestId)
          return;
        this.settle(
          msg.type === 'result' ? { ok: true, payload: msg.payload } : { ok: false, error: msg.error! },
        );
      },
    );
    // An uncaught exception or unhandled rejection ends the environment, as it does on Lambda.
    this.worker.on('error', (err) => {
      this.settle({
        ok: false,
        error: { errorType: err.name || 'Runtime.ExitError', errorMessage: err.message },
      });
      this.kill();
    });
    this.worker.on('exit', () => {
      this.settle({ ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: 'Runtime exited' } });
      this.markDead();
    });
  }

  invoke(event: unknown): Promise<InvokeResult> {
    const requestId = randomUUID();
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle({
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`,
          },
        });
        // The code may still be running: this environment cannot be reused.
        this.kill();
      }, timeoutMs);
      this.pending = { requestId, resolve, timer };
      this.worker.postMessage({
        type: 'invoke',
        requestId,
        event,
        deadline: Date.now() + timeoutMs,
        environmentId: this.id,
      });
    });
  }

  private settle(result: InvokeResult): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.resolve(result);
  }

  kill(): void {
    this.markDead();
    void this.worker.terminate();
  }

  private markDead(): void {
    if (this.dead) return;
    this.dead = true;
    this.onDeath(this);
  }
}

/** Pipes a stream line by line to `write`, each line prefixed. */
function prefixLines(stream: Readable, prefix: string, write: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => write(`${prefix} ${line}`));
}

const defaultLog = (line: string, stream: 'stdout' | 'stderr') =>
  (stream === 'stderr' ? process.stderr : process.stdout).write(`${line}\n`);

/** Starts a runtime for the given functions. Environments start lazily, on first invocation. */
export function createLambdaRuntime(options: LambdaRuntimeOptions): LambdaRuntime {
  const log = options.log ?? defaultLog;
  const maxConcurrency = options.maxConcurrency ?? 10;
  const specs = new Map(options.functions.map((f) => [f.name, f]));
  const environments = new Map<string, Environment[]>(options.functions.map((f) => [f.name, []]));
  const queues = new Map<string, (() => void)[]>(options.functions.map((f) => [f.name, []]));
  let closed = false;

  const resolveName = (nameOrArn: string): string | undefined => {
    if (specs.has(nameOrArn)) return nameOrArn;
    // arn:aws:lambda:region:account:function:name[:qualifier]
    const match = /^arn:aws:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(nameOrArn);
    return match && specs.has(match[1]!) ? match[1] : undefined;
  };

  const acquire = async (name: string): Promise<Environment> => {
    for (;;) {
      if (closed) throw new Error('The local Lambda runtime is stopped');
      const envs = environments.get(name)!;
      const idle = envs.find((e) => !e.busy && !e.dead);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (envs.length < maxConcurrency) {
        const env = new Environment(specs.get(name)!, log, (dead) => {
          environments.set(
            name,
            environments.get(name)!.filter((e) => e !== dead),
          );
          queues.get(name)!.shift()?.();
        });
        env.busy = true;
        envs.push(env);
        return env;
      }
      await new Promise<void>((resolve) => queues.get(name)!.push(resolve));
    }
  };

  // What Lambda writes to the function's log after each invocation (read by the cost benchmark).
  const report = (name: string, env: Environment, started: number) => {
    const ms = performance.now() - started;
    const init = env.invocations === 0 && env.initMs !== undefined ? `\tInit Duration: ${env.initMs.toFixed(2)} ms` : '';
    env.invocations += 1;
    log(
      `[${name}] REPORT RequestId: ${randomUUID()}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.ceil(ms)} ms\tMemory Size: ${specs.get(name)!.memorySize} MB${init}`,
      'stdout',
    );
  };

  const release = (name: string, env: Environment) => {
    env.busy = false;
    queues.get(name)!.shift()?.();
  };

  const invoke = async (functionName: string, event: unknown): Promise<InvokeResult> => {
    const name = resolveName(functionName);
    if (!name) {
      return {
        ok: false,
        error: {
          errorType: 'ResourceNotFoundException',
          errorMessage: `Function not found: ${functionName}`,
        },
      };
    }
    let env: Environment;
    try {
      env = await acquire(name);
    } catch (err) {
      return { ok: false, error: { errorType: 'ServiceException', errorMessage: (err as Error).message } };
    }
    try {
      const initError = await env.ready;
      if (initError) {
        // Lambda retries a failed init on the next invocation with a fresh environment.
        env.kill();
        return { ok: false, error: initError };
      }
      const started = performance.now();
      const result = await env.invoke(event);
      report(name, env, started);
      return result;
    } finally {
      release(name, env);
    }
  };

  return {
    functionNames: [...specs.keys()],
    invoke,
    async invokeOrThrow(functionName, event) {
      const result = await invoke(functionName, event);
      if (!result.ok) throw new LambdaFunctionError(result.error);
      return result.payload;
    },
    environmentCount(functionName) {
      const lists = functionName ? [environments.get(functionName) ?? []] : [...environments.values()];
      return lists.reduce((n, l) => n + l.filter((e) => !e.dead).length, 0);
    },
    async close() {
      closed = true;
      const all = [...environments.values()].flat();
      await Promise.all(all.map((e) => e.worker.terminate()));
      for (const q of queues.values()) q.splice(0).forEach((wake) => wake());
    },
  };
}
