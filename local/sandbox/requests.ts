import { z } from 'zod';
import { ID_TYPES, type IdType } from './engine';
import { HttpError } from './http-util';

// Request bodies as the SDKs send them: nulls (Java) and a numeric customer_uid are tolerated.

const nullable = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

export const createSchema = z.object({
  customer_uid: z.union([z.string().min(1).max(255), z.number()]).transform(String),
  template_key: z.string().min(1),
  email: nullable(z.string().max(320)),
  phone: nullable(z.string().max(64)),
  consents_to_automated_facial_recognition: nullable(z.boolean()),
  api_only_options: z
    .object({
      id_country: nullable(z.string().regex(/^[A-Za-z]{2}$/, 'expected an ISO 3166-1 alpha-2 code')),
      id_type: nullable(z.enum(ID_TYPES as [IdType, ...IdType[]])),
    })
    .nullish(),
  hosted_options: z.unknown().nullish(),
});

export const tokensSchema = z.object({
  grant_type: z.literal('refresh_token'),
  refresh_token: z.string().min(1),
});

export const imagesSchema = z.object({
  images: z
    .array(
      z.object({
        image_subject: z.enum([
          'document_front',
          'document_back',
          'document_barcode',
          'selfie_front',
          'selfie_left',
          'selfie_right',
        ]),
        format: nullable(z.string()),
        data: nullable(z.string()),
        supplementary_data: nullable(
          z.object({
            extracted_barcode: nullable(z.object({ barcode_type: z.string(), extracted_data: z.string() })),
          }),
        ),
      }),
    )
    .min(1)
    .max(3),
});

export const idScansSchema = z.object({
  id_scans: z
    .array(z.object({ scan_type: z.literal('pdf417'), extracted_data: z.string() }))
    .length(1, 'exactly one id scan is expected'),
});

export const updateSchema = z.object({
  action: nullable(z.string().min(1).max(64)),
  note: nullable(z.string().max(2000)),
});

export const OVERRIDE_PAYLOADS: Record<string, IdType> = {
  'us-dl': 'DL',
  'us-id': 'ID',
  passport: 'P',
  'us-passport': 'P',
};
export const overrideSchema = z.object({
  response_payload: nullable(z.string()),
  flags: nullable(z.array(z.string())),
  override_fields: nullable(z.record(z.string(), z.string())),
});

/** Parses a body or throws 400 naming the first offending field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'body';
  throw new HttpError(400, `Invalid request: ${where}: ${issue?.message ?? 'invalid'}.`, {
    readable: 'Invalid request',
  });
}

/** Strict standard base64 (Buffer.from alone would silently skip junk); no backtracking on 27 MB strings. */
export function decodeBase64(data: string | undefined): Buffer | undefined {
  if (!data || data.length % 4 !== 0) return undefined;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  if (/[^A-Za-z0-9+/]/.test(data.slice(0, data.length - padding))) return undefined;
  return Buffer.from(data, 'base64');
}
