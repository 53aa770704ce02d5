/**
 * Runs Lambda functions locally: each execution environment is a worker thread with its own
 * `process.env`, which loads the function's bundled code once (cold start) and handles one
 * invocation at a time, like Lambda. A timed-out or crashed environment is discarded.
 *
 * Environments are bounded and reclaimed, so a burst neither exhausts memory nor stalls on cold
 * starts (see docs/local-cloud.md, "Lambda environments"):
 * - at most `maxConcurrency` per function and `maxEnvironments` in all (an idle environment of
 *   another function is ended to make room; a function always gets its first one, so a function
 *   waiting on another can never starve it);
 * - past those bounds, where Lambda would start more environments, invocations share the busy
 *   ones (up to `maxInvocationsPerEnvironment` each, interleaved on the event loop) instead of
 *   queueing behind handlers that mostly wait on I/O;
 * - at most `maxConcurrentColdStarts` cold starts at once, and only while more invocations wait
 *   than environments are starting: on 2 cores, ten bundles loading at once each take ten times
 *   as long, while a warm environment frees up in milliseconds;
 * - an environment idle for `idleTimeoutMs` is ended, giving its memory back;
 * - the bundles' compiled code is kept in Node's module compile cache, so every cold start after
 *   the first of a bundle skips parsing and compiling it.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
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
  /** Environments per function at most. @default 4 */
  maxConcurrency?: number;
  /**
   * Invocations one environment runs at once when no other environment may start; further ones
   * queue. 1 is Lambda's rule exactly. @default 64
   */
  maxInvocationsPerEnvironment?: number;
  /** Environments of all functions at most (beyond it, each function still gets one). @default 20 */
  maxEnvironments?: number;
  /** Cold starts under way at once, over all functions. @default the number of CPUs */
  maxConcurrentColdStarts?: number;
  /** An environment idle this long is ended. @default 60000 */
  idleTimeoutMs?: number;
  /** Where compiled bundle code is cached across environments and runs; `false` for none. @default in the OS temp dir */
  compileCacheDir?: string | false;
  /** Young-generation heap of each environment, in MB (V8's default lets an idle worker hold ~50 MB more). @default 4 */
  youngGenerationMb?: number;
}

/** What the runtime holds at a moment, for tests and diagnostics. */
export interface RuntimeStats {
  environments: number;
  starting: number;
  busy: number;
  queued: number;
  coldStarts: number;
  reclaimed: number;
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
  stats(): RuntimeStats;
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
export const DEFAULT_COMPILE_CACHE_DIR = path.join(os.tmpdir(), 'berbix-serverless-lambda-compile-cache');

interface Pending {
  resolve(result: InvokeResult): void;
  timer: NodeJS.Timeout;
}

type Log = (line: string, stream: 'stdout' | 'stderr') => void;

/** One execution environment. */
class Environment {
  readonly id = randomUUID().replace(/-/g, '');
  readonly worker: Worker;
  /** Settles once the code is loaded: undefined, or the error that ended the cold start. */
  readonly ready: Promise<LambdaError | undefined>;
  readonly createdAt = performance.now();
  /** How long loading the code took (Lambda's Init Duration), once it is loaded. */
  initMs?: number;
  loaded = false;
  invocations = 0;
  /** Invocations running now. */
  active = 0;
  /** Timed out with other invocations still running: takes no more, ends when they are done. */
  draining = false;
  dead = false;
  idleTimer?: NodeJS.Timeout;
  lastUsed = Date.now();
  private readonly pending = new Map<string, Pending>();

  constructor(
    readonly spec: LambdaFunctionSpec,
    log: Log,
    options: { compileCacheDir?: string; youngGenerationMb?: number },
    private readonly onDeath: (env: Environment) => void,
  ) {
    this.worker = new Worker(WORKER_FILE, {
      env: spec.environment,
      stdout: true,
      stderr: true,
      resourceLimits: options.youngGenerationMb
        ? { maxYoungGenerationSizeMb: options.youngGenerationMb }
        : {},
      workerData: {
        assetDir: spec.assetDir,
        handler: spec.handler,
        functionName: spec.name,
        functionArn: spec.arn,
        memorySize: spec.memorySize,
        logGroupName: `/aws/lambda/${spec.name}`,
        compileCacheDir: options.compileCacheDir,
      },
    });
    prefixLines(this.worker.stdout, `[${spec.name}]`, (l) => log(l, 'stdout'));
    prefixLines(this.worker.stderr, `[${spec.name}]`, (l) => log(l, 'stderr'));
    this.ready = new Promise((resolve) => {
      const onMessage = (msg: { type: string; error?: LambdaError }) => {
        if (msg.type === 'ready') {
          this.loaded = true;
          resolve(undefined);
        } else if (msg.type === 'init-error') resolve(msg.error);
        else return;
        this.initMs = performance.now() - this.createdAt;
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
        if ((msg.type !== 'result' && msg.type !== 'error') || !msg.requestId) return;
        this.settle(
          msg.requestId,
          msg.type === 'result' ? { ok: true, payload: msg.payload } : { ok: false, error: msg.error! },
        );
      },
    );
    // An uncaught exception or unhandled rejection ends the environment, as it does on Lambda.
    this.worker.on('error', (err) => {
      this.settleAll({
        ok: false,
        error: { errorType: err.name || 'Runtime.ExitError', errorMessage: err.message },
      });
      this.kill();
    });
    this.worker.on('exit', () => {
      this.settleAll({
        ok: false,
        error: { errorType: 'Runtime.ExitError', errorMessage: 'Runtime exited' },
      });
      this.markDead();
    });
  }

  invoke(event: unknown, requestId: string): Promise<InvokeResult> {
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.settle(requestId, {
          ok: false,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`,
          },
        });
        // The code may still be running: this environment cannot be reused (once the invocations
        // sharing it are done).
        this.draining = true;
        if (this.pending.size === 0) this.kill();
      }, timeoutMs);
      this.pending.set(requestId, { resolve, timer });
      this.worker.postMessage({
        type: 'invoke',
        requestId,
        event,
        deadline: Date.now() + timeoutMs,
        environmentId: this.id,
      });
    });
  }

  private settle(requestId: string, result: InvokeResult): void {
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.pending.delete(requestId);
    clearTimeout(pending.timer);
    pending.resolve(result);
    if (this.draining && this.pending.size === 0) this.kill();
  }

  private settleAll(result: InvokeResult): void {
    for (const requestId of [...this.pending.keys()]) this.settle(requestId, result);
  }

  kill(): void {
    this.markDead();
    void this.worker.terminate();
  }

  private markDead(): void {
    if (this.dead) return;
    this.dead = true;
    clearTimeout(this.idleTimer);
    this.onDeath(this);
  }
}

/** Pipes a stream line by line to `write`, each line prefixed. */
function prefixLines(stream: Readable, prefix: string, write: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => write(`${prefix} ${line}`));
}

const defaultLog: Log = (line, stream) =>
  (stream === 'stderr' ? process.stderr : process.stdout).write(`${line}\n`);

/** An invocation waiting for an environment: it gets a loaded one, or the error of a failed cold start. */
interface Waiter {
  grant(env: Environment): void;
  fail(error: LambdaError): void;
}

/** Starts a runtime for the given functions. Environments start lazily, on first invocation. */
export function createLambdaRuntime(options: LambdaRuntimeOptions): LambdaRuntime {
  const log = options.log ?? defaultLog;
  const perFunction = options.maxConcurrency ?? 4;
  const perEnvironment = options.maxInvocationsPerEnvironment ?? 64;
  const maxEnvironments = options.maxEnvironments ?? 20;
  const maxColdStarts = options.maxConcurrentColdStarts ?? os.availableParallelism();
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const environmentOptions = {
    compileCacheDir:
      options.compileCacheDir === false ? undefined : (options.compileCacheDir ?? DEFAULT_COMPILE_CACHE_DIR),
    youngGenerationMb: options.youngGenerationMb ?? 4,
  };
  const specs = new Map(options.functions.map((f) => [f.name, f]));
  const environments = new Map<string, Environment[]>(options.functions.map((f) => [f.name, []]));
  const queues = new Map<string, Waiter[]>(options.functions.map((f) => [f.name, []]));
  const counters = { coldStarts: 0, reclaimed: 0 };
  let closed = false;

  const resolveName = (nameOrArn: string): string | undefined => {
    if (specs.has(nameOrArn)) return nameOrArn;
    // arn:aws:lambda:region:account:function:name[:qualifier]
    const match = /^arn:aws:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(nameOrArn);
    return match && specs.has(match[1]!) ? match[1] : undefined;
  };

  const all = () => [...environments.values()].flat();
  const starting = (list: Environment[]) => list.filter((e) => !e.loaded).length;

  const armIdleTimer = (env: Environment) => {
    clearTimeout(env.idleTimer);
    env.lastUsed = Date.now();
    env.idleTimer = setTimeout(() => {
      if (env.active > 0 || env.dead) return;
      counters.reclaimed += 1;
      env.kill();
    }, idleTimeoutMs);
    env.idleTimer.unref();
  };

  /** Ends the longest-idle loaded environment of another function, to make room. */
  const evictIdle = (except: string): boolean => {
    const idle = all()
      .filter((e) => e.spec.name !== except && e.loaded && e.active === 0 && !e.dead)
      .sort((a, b) => a.lastUsed - b.lastUsed)[0];
    if (!idle) return false;
    counters.reclaimed += 1;
    idle.kill();
    return true;
  };

  const startEnvironment = (name: string): void => {
    counters.coldStarts += 1;
    const env = new Environment(specs.get(name)!, log, environmentOptions, (dead) => {
      environments.set(
        name,
        environments.get(name)!.filter((e) => e !== dead),
      );
      dispatch();
    });
    environments.get(name)!.push(env);
    void env.ready.then((initError) => {
      if (!initError) {
        armIdleTimer(env);
        dispatch();
        return;
      }
      // Lambda reports a failed init to the invocation that waited for it, and starts afresh next time.
      env.kill();
      queues.get(name)!.shift()?.fail(initError);
    });
  };

  /** Hands idle environments to waiting invocations, and starts environments where that helps. */
  let dispatching = false;
  let dispatchAgain = false;
  const dispatch = (): void => {
    // Ending an environment dispatches again: run that after this pass, not inside it.
    if (dispatching) {
      dispatchAgain = true;
      return;
    }
    dispatching = true;
    try {
      do {
        dispatchAgain = false;
        dispatchOnce();
      } while (dispatchAgain);
    } finally {
      dispatching = false;
    }
  };

  const usable = (e: Environment) => e.loaded && !e.dead && !e.draining;
  const grant = (env: Environment, waiter: Waiter) => {
    env.active += 1;
    clearTimeout(env.idleTimer);
    waiter.grant(env);
  };

  const dispatchOnce = (): void => {
    if (closed) return;
    for (const [name, queue] of queues) {
      const envs = environments.get(name)!;
      for (const env of envs) {
        if (queue.length === 0) break;
        if (usable(env) && env.active === 0) grant(env, queue.shift()!);
      }
      let blocked = false;
      while (queue.length > starting(envs)) {
        // A function's first environment is never held back: what it would wait for may be
        // waiting for it (CreateVerificationFn polls for what CreateTransactionFn writes).
        const first = envs.length === 0;
        if (!first && envs.length >= perFunction) blocked = true;
        else if (!first && starting(all()) >= maxColdStarts) break;
        else if (all().length >= maxEnvironments && !evictIdle(name) && !first) blocked = true;
        if (blocked) break;
        startEnvironment(name);
      }
      // No environment may start: share the busy ones, least loaded first.
      if (!blocked) continue;
      while (queue.length > 0) {
        const env = envs
          .filter((e) => usable(e) && e.active < perEnvironment)
          .sort((a, b) => a.active - b.active)[0];
        if (!env) break;
        grant(env, queue.shift()!);
      }
    }
  };

  const acquire = (name: string): Promise<Environment | LambdaError> =>
    new Promise((resolve) => {
      queues.get(name)!.push({ grant: resolve, fail: resolve });
      dispatch();
    });

  // What Lambda writes to the function's log after each invocation (read by the cost benchmark).
  const report = (env: Environment, requestId: string, ms: number) => {
    const init =
      env.invocations === 0 && env.initMs !== undefined ? `\tInit Duration: ${env.initMs.toFixed(2)} ms` : '';
    env.invocations += 1;
    log(
      `[${env.spec.name}] REPORT RequestId: ${requestId}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${Math.ceil(ms)} ms\tMemory Size: ${env.spec.memorySize} MB${init}`,
      'stdout',
    );
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
    if (closed) {
      return {
        ok: false,
        error: { errorType: 'ServiceException', errorMessage: 'The local Lambda runtime is stopped' },
      };
    }
    const env = await acquire(name);
    if (!(env instanceof Environment)) return { ok: false, error: env };
    const requestId = randomUUID();
    const started = performance.now();
    try {
      const result = await env.invoke(event, requestId);
      report(env, requestId, performance.now() - started);
      return result;
    } finally {
      env.active -= 1;
      if (!env.dead && env.active === 0) armIdleTimer(env);
      dispatch();
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
    stats() {
      const envs = all().filter((e) => !e.dead);
      return {
        environments: envs.length,
        starting: starting(envs),
        busy: envs.filter((e) => e.active > 0).length,
        queued: [...queues.values()].reduce((n, q) => n + q.length, 0),
        ...counters,
      };
    },
    async close() {
      closed = true;
      const stopped: LambdaError = {
        errorType: 'ServiceException',
        errorMessage: 'The local Lambda runtime is stopped',
      };
      for (const q of queues.values()) q.splice(0).forEach((w) => w.fail(stopped));
      await Promise.all(all().map((e) => e.worker.terminate()));
    },
  };
}
