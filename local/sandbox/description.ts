import { z } from 'zod';

/**
 * What a real ID photo would show, written into the image itself so integrators can craft test
 * images: a PNG `tEXt` chunk with keyword `berbix-sandbox`, or a JPEG `COM` segment that starts
 * with `berbix-sandbox:`, holding this JSON.
 */
export const DESCRIPTION_KEYWORD = 'berbix-sandbox';

export const DOCUMENT_KINDS = [
  'drivers_license',
  'id_card',
  'passport',
  'passport_card',
  'permanent_resident_card',
  'military_id',
  'social_security_card',
  'passport_visa_page',
] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

/** Address fields: a result carries them only from a successfully read barcode. */
export const ADDRESS_FIELD_NAMES = [
  'address_street',
  'address_unit',
  'address_city',
  'address_subdivision',
  'address_postal_code',
  'address_country',
] as const;

/** Fields a document can carry; the names are Berbix's result field names. */
export const FIELD_NAMES = [
  'given_name',
  'middle_name',
  'family_name',
  'date_of_birth',
  'sex',
  'nationality',
  'id_expiry_date',
  'id_issue_date',
  'id_number',
  'id_issuer',
  ...ADDRESS_FIELD_NAMES,
] as const;
export type FieldName = (typeof FIELD_NAMES)[number];
export type DocumentFields = Partial<Record<FieldName, string>>;

const fieldShape = Object.fromEntries(FIELD_NAMES.map((name) => [name, z.string().max(200).optional()])) as {
  [K in FieldName]: z.ZodOptional<z.ZodString>;
};

export const imageDescriptionSchema = z.strictObject({
  document: z.enum(DOCUMENT_KINDS).optional(),
  side: z.enum(['front', 'back']).optional(),
  quality: z.enum(['ok', 'blurry']).optional(),
  /** Whether a face photo is visible; defaults to true on a front, false on a back. */
  face: z.boolean().optional(),
  /** The PDF417 barcode on a back; defaults to `ok` on a back, `missing` on a front. */
  barcode: z.enum(['ok', 'missing', 'incomplete']).optional(),
  fields: z.strictObject(fieldShape).optional(),
});
export type ImageDescription = z.infer<typeof imageDescriptionSchema>;
