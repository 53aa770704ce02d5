import type { DocumentFields } from './description';

export interface ParsedBarcode {
  /** `DL` (driver's licence) or `ID` (identification card), from the subfile type. */
  documentType: 'DL' | 'ID';
  issuerIdentificationNumber: string;
  version: number;
  fields: DocumentFields;
}

/** Why a scan could not be read; the sandbox answers `incomplete_barcode_detected` for any of them. */
export class BarcodeUnreadable extends Error {
  override name = 'BarcodeUnreadable';
}

// Compliance indicator '@', then LF, RS (0x1E) and CR separators, then the file type.
// eslint-disable-next-line no-control-regex -- AAMVA's separators are LF, RS and CR
const HEADER = /@\n\x1e\r(?:ANSI |AAMVA)(\d{6})(\d{2})(?:(\d{2})(\d{2}))?/;
const MONTH_FIRST = /^(\d{2})(\d{2})(\d{4})$/;
const YEAR_FIRST = /^(\d{4})(\d{2})(\d{2})$/;

/**
 * Parses the text of an AAMVA DL/ID PDF417 barcode (any version since 2000): header, subfile
 * designators, then the `DL`/`ID` subfile's data elements. Names, date of birth and the document
 * number are required; anything less is an incomplete barcode.
 */
export function parseAamva(text: string): ParsedBarcode {
  const header = HEADER.exec(text);
  if (!header) throw new BarcodeUnreadable('no AAMVA header');
  const version = Number(header[2]);
  const subfile = findSubfile(text, header.index, Number(header[4] ?? 1));
  const elements = new Map<string, string>();
  for (const line of subfile.body.split(/[\n\r]/)) {
    const id = line.slice(0, 3);
    if (/^[A-Z]{3}$/.test(id) && !elements.has(id)) elements.set(id, line.slice(3).trim());
  }
  const value = (id: string) => {
    const v = elements.get(id);
    return v && v !== 'NONE' && v !== 'unavl' ? v : undefined;
  };
  const country = value('DCG') === 'CAN' ? 'CA' : 'US';
  const date = (id: string) => {
    const raw = value(id);
    return raw === undefined ? undefined : parseDate(raw, country);
  };
  // Version 1 put the whole name in DAA ("FAMILY,GIVEN,MIDDLE"); later versions split it.
  const fullName = value('DAA')?.split(/[,$]/);
  const fields: DocumentFields = {
    family_name: titleCase(value('DCS') ?? value('DAB') ?? fullName?.[0]),
    given_name: titleCase(value('DAC') ?? value('DCT')?.split(/[, ]/)[0] ?? fullName?.[1]),
    middle_name: titleCase(value('DAD') ?? fullName?.[2]),
    date_of_birth: date('DBB'),
    id_expiry_date: date('DBA'),
    id_issue_date: date('DBD'),
    sex: { '1': 'M', '2': 'F', M: 'M', F: 'F' }[value('DBC') ?? ''],
    id_number: value('DAQ'),
    address_street: titleCase(value('DAG')),
    address_unit: titleCase(value('DAH')),
    address_city: titleCase(value('DAI')),
    address_subdivision: value('DAJ'),
    address_postal_code: value('DAK')
      ?.replace(/\s+$/, '')
      .replace(/^(\d{5})0000$/, '$1'),
    address_country: country,
    id_issuer: value('DAJ'),
  };
  if (!fields.family_name || !fields.given_name || !fields.date_of_birth || !fields.id_number) {
    throw new BarcodeUnreadable('required data elements are missing');
  }
  for (const key of Object.keys(fields) as (keyof DocumentFields)[]) {
    if (fields[key] === undefined) delete fields[key];
  }
  return {
    documentType: subfile.type,
    issuerIdentificationNumber: header[1] ?? '',
    version,
    fields,
  };
}

/** Finds the DL or ID subfile by its designator; falls back to a scan, as offsets are often off by one. */
function findSubfile(text: string, start: number, entries: number): { type: 'DL' | 'ID'; body: string } {
  // Version 1 headers have no jurisdiction version: IIN, version, [jurisdiction version,] entries.
  const designators = text
    .slice(start)
    .match(/(?:ANSI |AAMVA)\d{6}\d{2}(?:\d{2})?(?:\d{2})?((?:[A-Z]{2}\d{8})+)/);
  const list = designators?.[1] ?? '';
  for (let i = 0; i < Math.min(entries, list.length / 10); i++) {
    const type = list.slice(i * 10, i * 10 + 2);
    if (type !== 'DL' && type !== 'ID') continue;
    const offset = Number(list.slice(i * 10 + 2, i * 10 + 6));
    const length = Number(list.slice(i * 10 + 6, i * 10 + 10));
    for (const shift of [0, -1, 1]) {
      const at = start + offset + shift;
      if (text.slice(at, at + 2) !== type) continue;
      // The subfile ends at its CR terminator; the declared length is only a hint (often wrong).
      const terminator = text.indexOf('\r', at);
      const end = terminator >= 0 ? terminator : Math.min(text.length, at + length);
      return { type, body: text.slice(at + 2, end) };
    }
  }
  throw new BarcodeUnreadable('no DL or ID subfile');
}

function parseDate(raw: string, country: 'US' | 'CA'): string | undefined {
  const candidates = country === 'CA' ? [YEAR_FIRST, MONTH_FIRST] : [MONTH_FIRST, YEAR_FIRST];
  for (const pattern of candidates) {
    const m = pattern.exec(raw);
    if (!m) continue;
    const [year, month, day] = pattern === MONTH_FIRST ? [m[3], m[1], m[2]] : [m[1], m[2], m[3]];
    const iso = `${year}-${month}-${day}`;
    const parsed = new Date(`${iso}T00:00:00Z`);
    if (!Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(iso)) return iso;
  }
  return undefined;
}

function titleCase(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value.toLowerCase().replace(/(^|[\s'-])\p{L}/gu, (s) => s.toUpperCase());
}
