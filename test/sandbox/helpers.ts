import { startSandbox, type Sandbox, type SandboxOptions } from '../../local/sandbox';

export interface CallResult {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export interface Tokens {
  transaction_id: number;
  access_token: string;
  client_token: string;
  refresh_token: string;
  expires_in: number;
  first_step?: string;
}

/** Plain HTTP calls to a sandbox started on 127.0.0.1 for one test file. */
export class SandboxClient {
  constructor(readonly sandbox: Sandbox) {}

  get basic(): string {
    return `Basic ${Buffer.from(`${this.sandbox.apiSecret}:`).toString('base64')}`;
  }

  async call(
    method: string,
    path: string,
    options: { auth?: string; body?: unknown; rawBody?: string; base?: string } = {},
  ): Promise<CallResult> {
    const headers: Record<string, string> = {};
    if (options.auth) headers.authorization = options.auth;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${options.base ?? this.sandbox.httpUrl}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
  }

  async create(
    input: {
      templateKey?: string;
      idType?: string;
      idCountry?: string;
      apiOnly?: boolean;
      customerUid?: string;
    } = {},
  ): Promise<Tokens> {
    const result = await this.call('POST', '/v0/transactions', {
      auth: this.basic,
      body: {
        customer_uid: input.customerUid ?? 'user-1',
        template_key: input.templateKey ?? this.sandbox.templateKeys.frontBack,
        ...(input.apiOnly === false
          ? {}
          : { api_only_options: { id_type: input.idType, id_country: input.idCountry } }),
      },
    });
    if (result.status !== 200)
      throw new Error(`create failed: ${result.status} ${JSON.stringify(result.body)}`);
    return result.body as unknown as Tokens;
  }

  upload(
    tokens: Tokens,
    subject: string,
    bytes: Buffer | string,
    format = 'image/jpeg',
  ): Promise<CallResult> {
    return this.call('POST', '/v0/images/upload', {
      auth: `Bearer ${tokens.client_token}`,
      body: {
        images: [
          {
            image_subject: subject,
            format,
            data: typeof bytes === 'string' ? bytes : bytes.toString('base64'),
          },
        ],
      },
    });
  }

  scan(tokens: Tokens, text: string): Promise<CallResult> {
    return this.call('POST', '/v0/idscans/upload', {
      auth: `Bearer ${tokens.client_token}`,
      body: {
        id_scans: [{ scan_type: 'pdf417', extracted_data: Buffer.from(text, 'latin1').toString('base64') }],
      },
    });
  }

  transaction(tokens: Tokens): Promise<CallResult> {
    return this.call('GET', '/v0/transactions', { auth: `Bearer ${tokens.access_token}` });
  }
}

/** Starts a sandbox for a test file and closes it afterwards. */
export function useSandbox(options: SandboxOptions = {}): {
  readonly client: SandboxClient;
  readonly sandbox: Sandbox;
} {
  const holder: { sandbox?: Sandbox; client?: SandboxClient } = {};
  beforeAll(async () => {
    holder.sandbox = await startSandbox(options);
    holder.client = new SandboxClient(holder.sandbox);
  });
  afterAll(async () => {
    await holder.sandbox?.close();
  });
  return {
    get client() {
      if (!holder.client) throw new Error('sandbox not started');
      return holder.client;
    },
    get sandbox() {
      if (!holder.sandbox) throw new Error('sandbox not started');
      return holder.sandbox;
    },
  };
}
