import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { BarcodeUnreadable, parseAamva } from './aamva';
import {
  applyImage,
  applyScan,
  moveTo,
  scanFallback,
  sideOfStep,
  type AcceptedImage,
  type IdType,
  type Transaction,
  type UploadOutcome,
} from './engine';
import { HttpError, type Reply } from './http-util';
import { DescriptionInvalid, ImageRejected, inspectImage, parseDescription } from './image';
import {
  createSchema,
  decodeBase64,
  idScansSchema,
  imagesSchema,
  OVERRIDE_PAYLOADS,
  overrideSchema,
  parse,
  tokensSchema,
  updateSchema,
} from './requests';
import { buildFields, buildFlags, deriveAction } from './results';
import type { SandboxTemplate } from './templates';
import { TokenStore, type TokenKind } from './tokens';
import type { WebhookSender } from './webhooks';

export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

export type AuthScheme = 'basic' | 'bearer' | 'token' | 'none' | 'other';
export type CallTokenKind = 'api_secret' | TokenKind | 'invalid' | 'none';

/** What the call log keeps of a request: never tokens, secrets or bodies. */
export interface CallContext {
  authScheme: AuthScheme;
  tokenKind: CallTokenKind;
  transactionId?: number;
}

export interface ApiRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** Lazily read JSON body (undefined when empty). */
  body: () => Promise<unknown>;
  /** Base URL of the server that received the call, for links in responses. */
  baseUrl: string;
}

const badUpload = (tx: Transaction): UploadOutcome => ({
  next_step: tx.nextStep,
  issues: ['bad_upload'],
  issue_details: {},
});

export interface ApiOptions {
  apiSecret: string;
  templates: Record<string, Required<SandboxTemplate>>;
  tokens: TokenStore;
  webhooks: WebhookSender;
  now?: () => Date;
}

/** The Berbix /v0 API over in-memory state. */
/** One transaction as `GET /_sandbox/transactions` lists it. */
export interface TransactionInventoryEntry {
  transactionId: number;
  customerUid: string;
  nextStep: string;
  createdAt: string;
  completedAt?: string;
  deletedAt?: string;
  /** Which personal data the transaction still holds. */
  holds: { email: boolean; phone: boolean; front: boolean; back: boolean; scan: boolean };
}

export class BerbixApi {
  readonly transactions = new Map<number, Transaction>();
  private readonly imageKeys = new Map<string, AcceptedImage>();
  private readonly keyOfImage = new WeakMap<AcceptedImage, string>();
  private readonly now: () => Date;

  constructor(private readonly options: ApiOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async handle(req: ApiRequest, ctx: CallContext): Promise<Reply> {
    const route = `${req.method} ${req.path}`;
    switch (route) {
      case 'POST /v0/transactions':
        this.basic(req, ctx);
        return this.create(await req.body(), ctx);
      case 'POST /v0/tokens':
        this.basic(req, ctx);
        return this.refresh(await req.body(), ctx);
      case 'GET /v0/transactions':
        return { status: 200, body: this.result(this.live(this.token(req, ctx, 'access')), req.baseUrl) };
      case 'PATCH /v0/transactions':
        return this.update(this.live(this.token(req, ctx, 'access')), await req.body(), req.baseUrl);
      case 'DELETE /v0/transactions':
        return this.remove(this.live(this.token(req, ctx, 'access')));
      case 'PATCH /v0/transactions/override':
        return this.override(this.live(this.token(req, ctx, 'access')), await req.body());
      case 'POST /v0/images/upload':
        return this.uploadImages(this.live(this.token(req, ctx, 'client')), await req.body());
      case 'POST /v0/idscans/upload':
        return this.uploadIdScan(this.live(this.token(req, ctx, 'client')), await req.body());
    }
    const known = [
      '/v0/transactions',
      '/v0/tokens',
      '/v0/transactions/override',
      '/v0/images/upload',
      '/v0/idscans/upload',
    ];
    if (known.includes(req.path)) throw new HttpError(405, `${req.method} is not allowed on ${req.path}.`);
    throw new HttpError(404, `No route for ${req.method} ${req.path}.`);
  }

  /**
   * What the sandbox holds, for tests to check nothing is left behind: which transactions exist,
   * whether deleted, and which kinds of personal data each still holds (never the values).
   */
  inventory(customerUidPrefix?: string): TransactionInventoryEntry[] {
    return [...this.transactions.values()]
      .filter((tx) => customerUidPrefix === undefined || tx.customerUid.startsWith(customerUidPrefix))
      .map((tx) => ({
        transactionId: tx.id,
        customerUid: tx.customerUid,
        nextStep: tx.nextStep,
        createdAt: tx.createdAt.toISOString(),
        ...(tx.completedAt ? { completedAt: tx.completedAt.toISOString() } : {}),
        ...(tx.deletedAt ? { deletedAt: tx.deletedAt.toISOString() } : {}),
        holds: {
          email: tx.email != null,
          phone: tx.phone != null,
          front: tx.front !== undefined,
          back: tx.back !== undefined,
          scan: tx.scan !== undefined,
        },
      }));
  }

  /** An accepted image by its public key, for the short-lived image URLs of a result. */
  image(key: string): AcceptedImage | undefined {
    return this.imageKeys.get(key);
  }

  // ---- auth ----

  private basic(req: ApiRequest, ctx: CallContext): void {
    const [scheme, credential] = splitAuthorization(req.authorization);
    ctx.authScheme = scheme;
    if (scheme !== 'basic' || !credential)
      throw unauthorized('This call needs Basic auth with the API secret.');
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    const expected = Buffer.from(this.options.apiSecret);
    const given = Buffer.from(user);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      ctx.tokenKind = 'invalid';
      throw unauthorized('The API secret is not valid.');
    }
    ctx.tokenKind = 'api_secret';
  }

  private token(req: ApiRequest, ctx: CallContext, kind: TokenKind): number {
    const [scheme, credential] = splitAuthorization(req.authorization);
    ctx.authScheme = scheme;
    if ((scheme !== 'bearer' && scheme !== 'token') || !credential) {
      throw unauthorized(`This call needs the ${kind} token as a Bearer token.`);
    }
    const check = this.options.tokens.check(credential, kind, this.now().getTime());
    if (check.ok) {
      ctx.tokenKind = kind;
      ctx.transactionId = check.transactionId;
      return check.transactionId;
    }
    ctx.tokenKind = check.kind ?? 'invalid';
    ctx.transactionId = check.transactionId;
    if (check.reason === 'expired') throw unauthorized(`The ${kind} token has expired; refresh the tokens.`);
    if (check.reason === 'wrong_kind')
      throw unauthorized(`This call needs the ${kind} token, not the ${check.kind} token.`);
    throw unauthorized('The token is not valid.');
  }

  /** The transaction, or 410 once deleted. */
  private live(transactionId: number): Transaction {
    const tx = this.transactions.get(transactionId);
    if (!tx || tx.deletedAt) {
      throw new HttpError(410, 'The transaction does not exist. It may have been deleted.', {
        readable: 'Transaction deleted',
      });
    }
    return tx;
  }

  // ---- endpoints ----

  private create(body: unknown, ctx: CallContext): Reply {
    const input = parse(createSchema, body);
    if (input.hosted_options != null) {
      throw new HttpError(400, 'The sandbox serves API-only transactions; hosted_options is not supported.');
    }
    const template = this.options.templates[input.template_key];
    if (!template) throw new HttpError(400, 'Invalid template key.', { readable: 'Invalid template key' });
    let id: number;
    do id = randomInt(1_000_000_000, 281_474_976_710_655);
    while (this.transactions.has(id));
    const now = this.now();
    const tx: Transaction = {
      id,
      customerUid: input.customer_uid,
      templateKey: input.template_key,
      template,
      apiOnly: input.api_only_options != null,
      idType: input.api_only_options?.id_type,
      idCountry: input.api_only_options?.id_country?.toUpperCase(),
      email: input.email,
      phone: input.phone,
      nextStep: 'upload_document_front',
      attempts: { front: 0, back: 0 },
      createdAt: now,
    };
    this.transactions.set(id, tx);
    ctx.transactionId = id;
    const tokens = this.options.tokens.issue(id, undefined, now.getTime());
    return { status: 200, body: tx.apiOnly ? { ...tokens, first_step: tx.nextStep } : tokens };
  }

  private refresh(body: unknown, ctx: CallContext): Reply {
    const input = parse(tokensSchema, body);
    const check = this.options.tokens.check(input.refresh_token, 'refresh', this.now().getTime());
    if (!check.ok) throw unauthorized('The refresh token is not valid.');
    ctx.transactionId = check.transactionId;
    this.live(check.transactionId);
    return {
      status: 200,
      body: this.options.tokens.issue(check.transactionId, input.refresh_token, this.now().getTime()),
    };
  }

  private update(tx: Transaction, body: unknown, baseUrl: string): Reply {
    const input = parse(updateSchema, body);
    const changed = input.action !== undefined && input.action !== tx.action;
    if (input.action !== undefined) tx.action = input.action;
    if (input.note !== undefined) tx.note = input.note;
    const result = this.result(tx, baseUrl);
    if (changed) this.notify('verification_status', tx);
    return { status: 200, body: result };
  }

  private override(tx: Transaction, body: unknown): Reply {
    const input = parse(overrideSchema, body);
    if (tx.completedAt) {
      throw new HttpError(409, 'The transaction has already been completed and cannot be overridden.', {
        nextStep: 'done',
      });
    }
    let idType: IdType | undefined;
    if (input.response_payload !== undefined) {
      idType = OVERRIDE_PAYLOADS[input.response_payload];
      if (!idType)
        throw new HttpError(
          400,
          `Unknown response_payload; use one of ${Object.keys(OVERRIDE_PAYLOADS).join(', ')}.`,
        );
    }
    tx.override = { idType, flags: input.flags, fields: input.override_fields };
    moveTo(tx, 'done', this.now());
    this.notify('verification_finished', tx);
    return { status: 204 };
  }

  private remove(tx: Transaction): Reply {
    tx.deletedAt = this.now();
    for (const image of [tx.front, tx.back]) {
      const key = image && this.keyOfImage.get(image);
      if (key) this.imageKeys.delete(key);
    }
    // Personal data goes with the transaction; the tombstone answers 410 from now on.
    delete tx.front;
    delete tx.back;
    delete tx.scan;
    delete tx.email;
    delete tx.phone;
    return { status: 204 };
  }

  private expectStep(tx: Transaction, wanted: string): void {
    if (tx.nextStep === 'done') {
      throw new HttpError(409, 'The transaction is already completed; no more uploads are accepted.', {
        nextStep: 'done',
      });
    }
    throw new HttpError(409, `Unexpected ${wanted}: the transaction expects ${tx.nextStep}.`, {
      nextStep: tx.nextStep,
    });
  }

  private async uploadImages(tx: Transaction, body: unknown): Promise<Reply> {
    const input = parse(imagesSchema, body);
    const image = input.images[0]!;
    // No sandbox template has a selfie step, so selfies (single or a liveness triple) are out of order.
    if (image.image_subject.startsWith('selfie_')) this.expectStep(tx, image.image_subject);
    if (input.images.length !== 1) {
      throw new HttpError(400, 'Send exactly one document image per call.');
    }
    if (image.image_subject === 'document_barcode') {
      const barcode = image.supplementary_data?.extracted_barcode;
      if (!tx.template.barcodeScan || tx.nextStep !== 'upload_document_front')
        this.expectStep(tx, 'document_barcode');
      if (!barcode) return { status: 200, body: scanFallback(tx) };
      return { status: 200, body: this.scan(tx, barcode.barcode_type, barcode.extracted_data) };
    }
    const side =
      image.image_subject === 'document_front'
        ? 'front'
        : image.image_subject === 'document_back'
          ? 'back'
          : undefined;
    if (!side || sideOfStep(tx.nextStep) !== side) this.expectStep(tx, image.image_subject);
    const bytes = decodeBase64(image.data);
    if (!bytes || bytes.length === 0) return { status: 200, body: badUpload(tx) };
    if (bytes.length > MAX_IMAGE_BYTES) {
      throw new HttpError(413, 'The image is larger than 20 MiB.', { readable: 'Image too large' });
    }
    if (image.format !== undefined && !['image/jpeg', 'image/jpg', 'image/png'].includes(image.format)) {
      return { status: 200, body: badUpload(tx) };
    }
    let inspected;
    try {
      inspected = await inspectImage(bytes);
    } catch (error) {
      if (!(error instanceof ImageRejected)) throw error;
      if (error.rejection.kind === 'too_many_pixels') {
        throw new HttpError(413, 'The image is larger than 10,000 pixels on a side.', {
          readable: 'Image too large',
        });
      }
      return { status: 200, body: badUpload(tx) };
    }
    let description;
    try {
      description =
        inspected.descriptionText === undefined ? undefined : parseDescription(inspected.descriptionText);
    } catch (error) {
      if (error instanceof DescriptionInvalid)
        throw new HttpError(400, `${error.message}.`, { readable: 'Invalid sandbox description' });
      throw error;
    }
    // Judging awaited; a concurrent upload or a DELETE may have moved the transaction meanwhile.
    this.live(tx.id);
    if (sideOfStep(tx.nextStep) !== side) this.expectStep(tx, image.image_subject);
    const outcome = applyImage(tx, side!, { format: inspected.format, bytes, description }, this.now());
    if (outcome.next_step === 'done') this.notify('verification_finished', tx);
    return { status: 200, body: outcome };
  }

  private async uploadIdScan(tx: Transaction, body: unknown): Promise<Reply> {
    const input = parse(idScansSchema, body);
    if (!tx.template.barcodeScan) {
      throw new HttpError(409, 'Barcode scans are not enabled for this template.', { nextStep: tx.nextStep });
    }
    if (tx.nextStep !== 'upload_document_front') this.expectStep(tx, 'id scan');
    const scan = input.id_scans[0]!;
    return { status: 200, body: this.scan(tx, scan.scan_type, scan.extracted_data) };
  }

  private scan(tx: Transaction, type: string, data: string): UploadOutcome {
    if (type !== 'pdf417') return badUpload(tx);
    const bytes = decodeBase64(data);
    if (!bytes || bytes.length === 0) return badUpload(tx);
    try {
      const outcome = applyScan(tx, parseAamva(bytes.toString('latin1')), this.now());
      this.notify('verification_finished', tx);
      return outcome;
    } catch (error) {
      if (error instanceof BarcodeUnreadable) return scanFallback(tx);
      throw error;
    }
  }

  // ---- results ----

  /** GET /v0/transactions: the verification built from what was uploaded. */
  result(tx: Transaction, baseUrl: string): Record<string, unknown> {
    const now = this.now();
    const fields = buildFields(tx, now);
    const duplicates = tx.completedAt ? this.duplicatesOf(tx, fields) : [];
    const flags = tx.completedAt ? buildFlags(tx, fields, now, duplicates) : [];
    const images: Record<string, { full_image: string }> = {};
    for (const [name, image] of [
      ['front', tx.front],
      ['back', tx.back],
    ] as const) {
      if (image) images[name] = { full_image: `${baseUrl}/_sandbox/images/${this.keyFor(image)}` };
    }
    return {
      entity: 'transaction_metadata',
      id: tx.id,
      customer_uid: tx.customerUid,
      ...(tx.completedAt ? { action: tx.action ?? deriveAction(tx, flags) } : {}),
      flags,
      fields,
      images,
      duplicates,
      dashboard_url: `https://dashboard.berbix.com/transaction?test=true&id=${tx.id}`,
      created_at: tx.createdAt.toISOString(),
      ...(tx.completedAt ? { completed_at: tx.completedAt.toISOString() } : {}),
      implementation_info: 'berbix-serverless sandbox',
    };
  }

  private keyFor(image: AcceptedImage): string {
    let key = this.keyOfImage.get(image);
    if (!key) {
      key = randomBytes(18).toString('base64url');
      this.keyOfImage.set(image, key);
      this.imageKeys.set(key, image);
    }
    return key;
  }

  /** Other customers' completed transactions showing the same person. */
  private duplicatesOf(tx: Transaction, fields: ReturnType<typeof buildFields>) {
    const identity = (f: ReturnType<typeof buildFields>) =>
      f.family_name && f.given_name && f.date_of_birth
        ? [f.family_name.value, f.given_name.value, f.date_of_birth.value].join('|').toLowerCase()
        : undefined;
    const mine = identity(fields);
    if (!mine) return [];
    const now = this.now();
    return [...this.transactions.values()]
      .filter((o) => o !== tx && !o.deletedAt && o.completedAt && o.customerUid !== tx.customerUid)
      .filter((o) => identity(buildFields(o, now)) === mine)
      .map((o) => ({ customer_uid: o.customerUid, transaction_id: o.id }));
  }

  private notify(event: 'verification_finished' | 'verification_status', tx: Transaction): void {
    const now = this.now();
    const fields = buildFields(tx, now);
    const flags = buildFlags(tx, fields, now, this.duplicatesOf(tx, fields));
    this.options.webhooks.send(event, {
      transaction_id: tx.id,
      customer_uid: tx.customerUid,
      action: tx.action ?? deriveAction(tx, flags),
      dashboard_url: `https://dashboard.berbix.com/transaction?test=true&id=${tx.id}`,
    });
  }
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, message, { readable: 'Unauthorized' });
}

/** `Basic x`, `Bearer x`, `Token x` (any case) → scheme and credential. */
export function splitAuthorization(header: string | undefined): [AuthScheme, string | undefined] {
  if (!header) return ['none', undefined];
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return ['other', undefined];
  const scheme = match[1]!.toLowerCase();
  const known = scheme === 'basic' || scheme === 'bearer' || scheme === 'token' ? scheme : 'other';
  return [known, match[2]];
}
