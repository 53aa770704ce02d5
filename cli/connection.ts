/** Which API to call with which token: the flags (or their environment variables), else the local cloud. */
import { createVerificationClient, type VerificationClient } from '../client';
import { CliError, EXIT } from './errors';
import { findLocalCloud, isLoopback, LOCAL_SCOPES, mintLocalToken } from './local-cloud';

export const ENV = { api: 'BERBIX_SERVERLESS_API_URL', token: 'BERBIX_SERVERLESS_TOKEN' } as const;

export interface ConnectionOptions {
  api?: string;
  token?: string;
}

export interface Connection {
  apiUrl: string;
  client: VerificationClient;
  /** A client with the backend scope when there can be one: the given token, or a minted local one. */
  backend(): Promise<VerificationClient>;
}

const LOCAL_SUBJECTS = { client: 'berbix-serverless-cli', backend: 'berbix-serverless-cli-backend' } as const;

/** The API's URL: given, or the running local cloud's. */
export async function apiUrlFrom(options: ConnectionOptions): Promise<string> {
  const given = options.api?.trim();
  if (given) {
    if (!URL.canParse(given) || !/^https?:$/.test(new URL(given).protocol))
      throw new CliError(`--api: not an http(s) URL: ${given}`, EXIT.usage);
    return given.replace(/\/+$/, '');
  }
  const local = await findLocalCloud();
  if (!local)
    throw new CliError(
      `No API to call: pass --api URL (or set ${ENV.api}), or start the local cloud with \`npm start\``,
      EXIT.usage,
    );
  return local;
}

/** Mints a local token, or explains why there is none. */
async function localToken(apiUrl: string, kind: 'client' | 'backend'): Promise<string> {
  if (!isLoopback(apiUrl)) throw new CliError(`No token: pass --token JWT (or set ${ENV.token})`, EXIT.auth);
  let minted;
  try {
    minted = await mintLocalToken(apiUrl, LOCAL_SUBJECTS[kind], [LOCAL_SCOPES[kind]]);
  } catch {
    throw new CliError(
      `No answer from ${apiUrl}: is the local cloud running (\`npm start\`)?`,
      EXIT.unavailable,
    );
  }
  if (!minted)
    throw new CliError(
      `No token: ${apiUrl} mints no local tokens; pass --token JWT (or set ${ENV.token})`,
      EXIT.auth,
    );
  return minted.token;
}

/**
 * Connects with the given token, or, against the local cloud without one, with a token minted for
 * `scope` (the client scope for an end user's flow, the backend scope for results and deletes).
 */
export async function connect(options: ConnectionOptions, scope: 'client' | 'backend'): Promise<Connection> {
  const apiUrl = await apiUrlFrom(options);
  const clientWith = (token: string) => createVerificationClient({ apiUrl, getToken: () => token });
  const given = options.token?.trim();
  if (given) {
    const client = clientWith(given);
    return { apiUrl, client, backend: async () => client };
  }
  const client = clientWith(await localToken(apiUrl, scope));
  let backend: Promise<VerificationClient> | undefined;
  return {
    apiUrl,
    client,
    backend: () =>
      (backend ??=
        scope === 'backend' ? Promise.resolve(client) : localToken(apiUrl, 'backend').then(clientWith)),
  };
}

/** The local cloud's token endpoint, for `berbix-serverless token`. */
export async function mintForCommand(
  options: ConnectionOptions,
  sub: string,
  backend: boolean,
  expiresInSeconds: number,
) {
  const apiUrl = await apiUrlFrom(options);
  if (!isLoopback(apiUrl))
    throw new CliError(`token mints local tokens only; ${apiUrl} is not on this machine`, EXIT.usage);
  try {
    const minted = await mintLocalToken(
      apiUrl,
      sub,
      [backend ? LOCAL_SCOPES.backend : LOCAL_SCOPES.client],
      expiresInSeconds,
    );
    if (!minted) throw new CliError(`${apiUrl} mints no local tokens (is it the local cloud?)`, EXIT.usage);
    return minted;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      `No answer from ${apiUrl}: is the local cloud running (\`npm start\`)?`,
      EXIT.unavailable,
    );
  }
}
