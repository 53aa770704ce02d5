import * as path from 'node:path';
import { DEFAULT_HANDLERS_DIR } from '../../lib/constructs/verification-function';

/**
 * Loads a handler module as Lambda does at cold start, alone (a fresh module registry), with
 * `env` as its whole environment, and returns every variable it read. Loading throws when the
 * handler's configuration is missing or malformed: its config is read at module scope.
 * `handlerPath` is under lambdas/handlers without extension (`api/get-verification`), or a file.
 */
export function variablesReadOnLoad(handlerPath: string, env: Record<string, string>): Set<string> {
  const file = path.isAbsolute(handlerPath)
    ? handlerPath
    : path.join(DEFAULT_HANDLERS_DIR, `${handlerPath}.ts`);
  const read = new Set<string>();
  const recording = new Proxy(
    { ...env },
    {
      get: (target, name) => {
        if (typeof name === 'string') read.add(name);
        return Reflect.get(target, name);
      },
    },
  );
  const saved = process.env;
  process.env = recording;
  try {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(file);
    });
  } finally {
    process.env = saved;
  }
  return read;
}

/** A template's environment with deploy-time references replaced by plausible strings. */
export function resolvedEnv(variables: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(variables).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : `deploy-time-${k.toLowerCase()}`,
    ]),
  );
}
