// One Lambda execution environment: a worker thread that loads a function's bundled code once
// (the cold start) and then runs invocations sent by lambda-runtime.ts, one at a time.
// Plain JavaScript on purpose: worker threads run outside tsx/jest transforms.
import { existsSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { assetDir, handler, functionName, functionArn, memorySize, logGroupName, compileCacheDir } =
  workerData;

// Every environment of a function loads the same bundle: V8's compiled code, cached on disk by
// Node, spares the later cold starts parsing and compiling it again (Node 22.1+).
if (compileCacheDir && typeof module.enableCompileCache === 'function')
  module.enableCompileCache(compileCacheDir);

/** The shape Lambda reports a function error in. Never includes the event. */
function toLambdaError(err, fallbackType) {
  if (err instanceof Error) {
    return {
      errorType: err.name && err.name !== 'Error' ? err.name : (err.constructor?.name ?? fallbackType),
      errorMessage: err.message,
      trace: (err.stack ?? '').split('\n'),
    };
  }
  return { errorType: fallbackType, errorMessage: String(err), trace: [] };
}

async function load() {
  const dot = handler.lastIndexOf('.');
  const moduleName = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const file = ['.js', '.mjs', '.cjs']
    .map((ext) => path.join(assetDir, moduleName + ext))
    .find((candidate) => existsSync(candidate));
  if (!file) {
    const error = new Error(`Cannot find module '${moduleName}' in ${assetDir}`);
    error.name = 'Runtime.ImportModuleError';
    throw error;
  }
  const mod = await import(pathToFileURL(file).href);
  const fn = mod[exportName] ?? mod.default?.[exportName];
  if (typeof fn !== 'function') {
    const error = new Error(`${handler} is undefined or not exported`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  return fn;
}

function run(fn, event, context) {
  // Callback-style handlers (event, context, callback) are still supported by the Node runtime.
  if (fn.length >= 3) {
    return new Promise((resolve, reject) => {
      const maybe = fn(event, context, (err, result) => (err ? reject(err) : resolve(result)));
      if (maybe && typeof maybe.then === 'function') maybe.then(resolve, reject);
    });
  }
  return fn(event, context);
}

let handlerFn;
try {
  handlerFn = await load();
  parentPort.postMessage({ type: 'ready' });
} catch (err) {
  parentPort.postMessage({ type: 'init-error', error: toLambdaError(err, 'Runtime.ImportModuleError') });
}

parentPort.on('message', async (msg) => {
  if (msg.type !== 'invoke' || !handlerFn) return;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memorySize),
    awsRequestId: msg.requestId,
    logGroupName,
    logStreamName: `local/[$LATEST]${msg.environmentId}`,
    getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result = await run(handlerFn, msg.event, context);
    // Lambda serializes the result as JSON: undefined becomes null, class instances plain objects.
    const payload = result === undefined ? null : JSON.parse(JSON.stringify(result));
    parentPort.postMessage({ type: 'result', requestId: msg.requestId, payload });
  } catch (err) {
    parentPort.postMessage({ type: 'error', requestId: msg.requestId, error: toLambdaError(err, 'Error') });
  }
});
