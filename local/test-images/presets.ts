import { DESCRIPTION_KEYWORD, type ImageDescription } from '../sandbox/description';
import { makeAamvaBarcode } from './aamva';
import { encodeJpeg } from './jpeg';
import { encodePng } from './png';

export type TestImageFormat = 'image/jpeg' | 'image/png';

export interface TestImage {
  fileName: string;
  format: TestImageFormat;
  bytes: Buffer;
  description?: ImageDescription;
}

type Rgb = readonly [number, number, number];

/** JSON with every non-ASCII character escaped, so it survives a Latin-1 PNG tEXt chunk. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A card-like picture: a face box on fronts, text lines, a barcode band on backs, soft if blurry. */
function cardPainter(description: ImageDescription | undefined, width: number, height: number) {
  const back = description?.side === 'back';
  const face = description?.face ?? !back;
  const barcode = back && (description?.barcode ?? 'ok') !== 'missing';
  const blurry = description?.quality === 'blurry';
  const base: Rgb = description?.document === 'passport' ? [40, 60, 120] : [210, 225, 240];
  return (x: number, y: number): Rgb => {
    if (blurry) {
      const t = (x / width + y / height) / 2;
      return [base[0] * (1 - t) + 128 * t, base[1] * (1 - t) + 128 * t, base[2] * (1 - t) + 128 * t];
    }
    if (face && x > width * 0.06 && x < width * 0.32 && y > height * 0.2 && y < height * 0.8)
      return [150, 110, 90];
    if (barcode && y > height * 0.55 && y < height * 0.9 && x > width * 0.08 && x < width * 0.92) {
      return (x * 7 + (y >> 2)) % 5 < 2 ? [0, 0, 0] : [255, 255, 255];
    }
    if (x > width * 0.4 && x < width * 0.9 && Math.floor(y / (height / 10)) % 2 === 1) return [60, 60, 60];
    return base;
  };
}

/**
 * An ordinary JPEG or PNG with `description` embedded the way the sandbox reads it
 * (PNG `tEXt` keyword `berbix-sandbox`, JPEG `COM` segment `berbix-sandbox:<json>`).
 */
export function makeTestImage(
  options: {
    description?: ImageDescription;
    format?: TestImageFormat;
    width?: number;
    height?: number;
  } = {},
): Buffer {
  const width = options.width ?? 320;
  const height = options.height ?? 202;
  const pixel = cardPainter(options.description, width, height);
  if (options.format === 'image/png') {
    const text = options.description ? { [DESCRIPTION_KEYWORD]: asciiJson(options.description) } : undefined;
    return encodePng({ width, height, pixel, text });
  }
  const comment = options.description
    ? `${DESCRIPTION_KEYWORD}:${JSON.stringify(options.description)}`
    : undefined;
  return encodeJpeg({ width, height, pixel, comment });
}

export const SAMPLE_PERSON = {
  given_name: 'Ada',
  middle_name: 'King',
  family_name: 'Lovelace',
  date_of_birth: '1990-12-10',
  sex: 'F',
  id_number: 'D1234567',
  id_issue_date: '2023-01-01',
  id_expiry_date: '2031-01-01',
  id_issuer: 'CA',
  address_street: '12 Analytical Way',
  address_city: 'San Francisco',
  address_subdivision: 'CA',
  address_postal_code: '94105',
  address_country: 'US',
} as const;

const { given_name, middle_name, family_name, date_of_birth, id_expiry_date, id_number, sex } = SAMPLE_PERSON;
const frontFields = { given_name, middle_name, family_name, date_of_birth, id_expiry_date, id_number, sex };

/** The AAMVA text encoded in the preset licence back's barcode. */
export const SAMPLE_AAMVA = makeAamvaBarcode({ ...SAMPLE_PERSON, sex: 'F', address_country: 'US' });

function preset(fileName: string, format: TestImageFormat, description: ImageDescription, width?: number) {
  return (): TestImage => ({
    fileName,
    format,
    description,
    bytes: makeTestImage({ description, format, width, height: width === undefined ? undefined : 8 }),
  });
}

/** The generator's presets; each call builds the image afresh. */
export const presets = {
  driversLicenseFront: preset('drivers-license-front.jpg', 'image/jpeg', {
    document: 'drivers_license',
    side: 'front',
    quality: 'ok',
    face: true,
    fields: frontFields,
  }),
  driversLicenseBack: preset('drivers-license-back.jpg', 'image/jpeg', {
    document: 'drivers_license',
    side: 'back',
    quality: 'ok',
    face: false,
    barcode: 'ok',
    fields: { ...SAMPLE_PERSON },
  }),
  passport: preset('passport.png', 'image/png', {
    document: 'passport',
    side: 'front',
    quality: 'ok',
    face: true,
    fields: {
      given_name,
      family_name,
      date_of_birth,
      sex,
      id_number: 'P98765432',
      nationality: 'GB',
      id_expiry_date,
    },
  }),
  blurryFront: preset('blurry-front.jpg', 'image/jpeg', {
    document: 'drivers_license',
    side: 'front',
    quality: 'blurry',
    face: true,
  }),
  noFaceFront: preset('no-face-front.jpg', 'image/jpeg', {
    document: 'drivers_license',
    side: 'front',
    quality: 'ok',
    face: false,
    fields: frontFields,
  }),
  militaryId: preset('military-id.jpg', 'image/jpeg', {
    document: 'military_id',
    side: 'front',
    quality: 'ok',
    face: true,
  }),
  visaPage: preset('passport-visa-page.png', 'image/png', {
    document: 'passport_visa_page',
    side: 'front',
    quality: 'ok',
    face: false,
  }),
  tooWide: preset(
    'too-wide-10001px.png',
    'image/png',
    { document: 'drivers_license', side: 'front' },
    10_001,
  ),
} satisfies Record<string, () => TestImage>;

export type PresetName = keyof typeof presets;
