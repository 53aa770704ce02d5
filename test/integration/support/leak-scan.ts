/**
 * The leak scan (issue 8, "Nothing lost, nothing orphaned"): looks for what must never be seen —
 * Berbix tokens, the API and webhook secrets, ID image and scan bytes, the test documents'
 * personal fields — in what a run made observable (logs, answers, execution histories, S3 keys,
 * events). Pure: haystacks and needles in, findings out. Collecting them is observations.ts.
 *
 * Matching: every needle is ASCII and at least MIN_NEEDLE_LENGTH characters; the haystacks are
 * read once, with a rolling key of their last four characters (ASCII letters folded to lower case)
 * that finds the needles starting there, so thousands of needles cost little more than one.
 */

export type NeedleKind =
  | 'Berbix access token'
  | 'Berbix client token'
  | 'Berbix refresh token'
  | 'Berbix API secret'
  | 'webhook secret'
  | 'image bytes'
  | 'id scan bytes'
  | 'personal field';

export interface Needle {
  kind: NeedleKind;
  /** What exactly is looked for. Never printed. */
  value: string;
  /** Safe to print: a field name, an encoding, a transaction id. */
  detail?: string;
  /** Letters match in either case. */
  caseInsensitive?: boolean;
  /**
   * A match must not touch a digit (`digit`: numbers such as a postal code inside a timestamp; nor
   * lie inside a UUID) or a letter, digit or `_` (`word`: a short name inside a word).
   */
  boundary?: 'digit' | 'word';
}

export interface Haystack {
  /** Where the text was seen (a log file, an answer, an execution, …). */
  where: string;
  text: string;
}

export interface Finding {
  kind: NeedleKind;
  detail?: string;
  where: string;
  /** 1-based line of the haystack's text. */
  line: number;
}

export const MIN_NEEDLE_LENGTH = 4;
const KEY_CHARS = MIN_NEEDLE_LENGTH;
const KEY_MASK = (1 << (7 * KEY_CHARS)) - 1;

const fold = (code: number) => (code >= 65 && code <= 90 ? code + 32 : code);
const isDigit = (code: number) => code >= 48 && code <= 57;
const isWordChar = (code: number) => isDigit(code) || (fold(code) >= 97 && fold(code) <= 122) || code === 95;

function keyOf(text: string, start: number): number {
  let key = 0;
  for (let i = start; i < start + KEY_CHARS; i += 1) key = ((key << 7) | fold(text.charCodeAt(i))) & KEY_MASK;
  return key;
}

function matchesAt(text: string, start: number, needle: Needle): boolean {
  const { value } = needle;
  if (start + value.length > text.length) return false;
  for (let i = 0; i < value.length; i += 1) {
    const a = text.charCodeAt(start + i);
    const b = value.charCodeAt(i);
    if (a !== b && !(needle.caseInsensitive && fold(a) === fold(b))) return false;
  }
  if (!needle.boundary) return true;
  const touches = needle.boundary === 'digit' ? isDigit : isWordChar;
  const before = start > 0 ? text.charCodeAt(start - 1) : NaN;
  const after = start + value.length < text.length ? text.charCodeAt(start + value.length) : NaN;
  if (touches(before) || touches(after)) return false;
  // Letters may touch a number (an AAMVA field such as DBB12101990), but not the hex digits of a
  // UUID (a request id that happens to hold a postal code).
  return needle.boundary === 'word' || !insideUuid(text, start, start + value.length);
}

const isUuidChar = (code: number) => isDigit(code) || (fold(code) >= 97 && fold(code) <= 102) || code === 45;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether text[start, end) lies inside a UUID (the longest run of hex digits and dashes around it). */
function insideUuid(text: string, start: number, end: number): boolean {
  let from = start;
  let to = end;
  while (from > 0 && isUuidChar(text.charCodeAt(from - 1))) from -= 1;
  while (to < text.length && isUuidChar(text.charCodeAt(to))) to += 1;
  return UUID.test(text.slice(from, to));
}

function checkNeedle(needle: Needle): void {
  if (needle.value.length < MIN_NEEDLE_LENGTH || !/^[\x20-\x7e]+$/.test(needle.value)) {
    throw new RangeError(
      `a ${needle.kind} needle (${needle.detail ?? 'no detail'}) must be printable ASCII of at least ${MIN_NEEDLE_LENGTH} characters`,
    );
  }
}

/** Every place a needle occurs in a haystack: one finding per needle kind, detail, haystack and line. */
export function scanForLeaks(haystacks: Iterable<Haystack>, needles: Iterable<Needle>): Finding[] {
  const byKey = new Map<number, Needle[]>();
  for (const needle of needles) {
    checkNeedle(needle);
    const key = keyOf(needle.value, 0);
    const bucket = byKey.get(key);
    if (!bucket) byKey.set(key, [needle]);
    else if (!bucket.some((n) => n.value === needle.value && n.kind === needle.kind)) bucket.push(needle);
  }
  const findings: Finding[] = [];
  const seen = new Set<string>();
  if (byKey.size === 0) return findings;
  for (const { where, text } of haystacks) {
    let key = 0;
    let run = 0;
    let line = 1;
    let lineCountedTo = 0;
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      if (code > 0x7e || code < 0x20) {
        run = 0;
        continue;
      }
      key = ((key << 7) | fold(code)) & KEY_MASK;
      run += 1;
      if (run < KEY_CHARS) continue;
      const bucket = byKey.get(key);
      if (!bucket) continue;
      const start = i - KEY_CHARS + 1;
      for (const needle of bucket) {
        if (!matchesAt(text, start, needle)) continue;
        for (; lineCountedTo < start; lineCountedTo += 1)
          if (text.charCodeAt(lineCountedTo) === 10) line += 1;
        const id = `${needle.kind}\0${needle.detail ?? ''}\0${where}\0${line}`;
        if (seen.has(id)) continue;
        seen.add(id);
        findings.push({
          kind: needle.kind,
          ...(needle.detail ? { detail: needle.detail } : {}),
          where,
          line,
        });
      }
    }
  }
  return findings;
}

/**
 * One line per finding, safe to print: the needle's kind and detail and where it was found; a
 * `where` that itself holds a needle (a path a test made up) shows the needle's kind instead.
 */
export function describeFindings(findings: Finding[], needles: Needle[], max = 50): string {
  const redact = (where: string) => {
    let out = where;
    for (const n of needles) {
      if (out.length < n.value.length) continue;
      const pattern = new RegExp(
        n.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        n.caseInsensitive ? 'gi' : 'g',
      );
      out = out.replace(pattern, `<${n.kind}>`);
    }
    return out;
  };
  const lines = findings
    .slice(0, max)
    .map((f) => `- ${f.kind}${f.detail ? ` (${f.detail})` : ''} in ${redact(f.where)}, line ${f.line}`);
  if (findings.length > max) lines.push(`- … and ${findings.length - max} more`);
  return lines.join('\n');
}

/**
 * The one answer whose body is not a haystack: `GET /verifications/{id}/result` gives the backend
 * scope the extracted fields by design. Only its 2xx bodies (its errors and headers are scanned, and
 * so is every other route).
 */
export const isBackendResult = (method: string, pathname: string, status: number): boolean =>
  method === 'GET' && /^\/verifications\/[^/]+\/result$/.test(pathname) && status >= 200 && status < 300;

// ---- Needles ---------------------------------------------------------------------------------

export interface IssuedToken {
  token: string;
  kind: 'access' | 'client' | 'refresh';
  transactionId: number;
}

export function tokenNeedles(tokens: IssuedToken[]): Needle[] {
  const kinds = {
    access: 'Berbix access token',
    client: 'Berbix client token',
    refresh: 'Berbix refresh token',
  } as const;
  return tokens.map((t) => ({
    kind: kinds[t.kind],
    value: t.token,
    detail: `transaction ${t.transactionId}`,
  }));
}

/** The secrets as they are, and the API secret as Berbix's Basic credentials carry it. */
export function secretNeedles(secrets: { apiSecret: string; webhookSecret: string }): Needle[] {
  return [
    { kind: 'Berbix API secret', value: secrets.apiSecret, detail: 'as is' },
    {
      kind: 'Berbix API secret',
      value: Buffer.from(`${secrets.apiSecret}:`).toString('base64').replace(/=+$/, ''),
      detail: 'Basic credentials',
    },
    { kind: 'webhook secret', value: secrets.webhookSecret, detail: 'as is' },
  ];
}

/** Bytes per slice of an upload: 40 base64 characters, 60 hex digits. */
export const SLICE_BYTES = 30;
/** A slice must hold this many different byte values: a run of zeros or one colour proves nothing. */
const MIN_DISTINCT_BYTES = 8;
/** Slices are taken about this far apart, at most MAX_SLICES of them. */
const SLICE_SPACING = 256;
const MAX_SLICES = 16;

/**
 * Slices of an upload that tell it apart: its start (what a truncated log line would keep), its end
 * and evenly between (any leaked stretch longer than the spacing holds one), at offsets that are
 * multiples of 3 so that the base64 of the whole file contains the base64 of each. Each slice is
 * SLICE_BYTES + 2 long (byteNeedles also encodes it shifted by one and two bytes). None for bytes
 * too short or too plain to tell apart.
 */
export function distinctiveSlices(bytes: Uint8Array): Uint8Array[] {
  const span = SLICE_BYTES + 2;
  if (bytes.length < span) return [];
  const last = bytes.length - span;
  const count = Math.min(MAX_SLICES, Math.max(3, Math.ceil(bytes.length / SLICE_SPACING)));
  const offsets = new Set<number>();
  for (let i = 0; i < count; i += 1) {
    const o = Math.round((last * i) / (count - 1));
    offsets.add(o - (o % 3));
  }
  const slices: Uint8Array[] = [];
  for (const start of offsets) {
    // From each offset, the first slice (3 bytes further each time) that is not plain.
    for (let o = start; o <= last && o < start + 3 * 64; o += 3) {
      if (new Set(bytes.subarray(o, o + SLICE_BYTES)).size >= MIN_DISTINCT_BYTES) {
        slices.push(Uint8Array.from(bytes.subarray(o, o + span)));
        break;
      }
    }
  }
  return slices;
}

/**
 * A slice (from distinctiveSlices) as a leak would show it: hex (plain, and spaced as Node prints a
 * Buffer), the decimals of a Buffer turned into JSON, and base64 / base64url of the slice and of it
 * shifted by one and two bytes (base64 of a part of the file that does not start on a multiple of 3).
 */
export function byteNeedles(kind: 'image bytes' | 'id scan bytes', slices: Uint8Array[]): Needle[] {
  const needles = new Map<string, Needle>();
  const add = (value: string, detail: string, caseInsensitive = false) => {
    if (!needles.has(value)) needles.set(value, { kind, value, detail, caseInsensitive });
  };
  for (const slice of slices) {
    const head = Buffer.from(slice.subarray(0, SLICE_BYTES));
    const hex = head.toString('hex');
    add(hex, 'hex', true);
    add(hex.replace(/(..)(?!$)/g, '$1 '), 'hex', true);
    add([...head].join(','), 'decimal');
    for (let shift = 0; shift < 3 && shift + SLICE_BYTES - 3 <= slice.length; shift += 1) {
      // Whole base64 quanta only: 3 bytes → 4 characters, never padding.
      const part = Buffer.from(slice.subarray(shift, shift + SLICE_BYTES - 3));
      add(part.toString('base64'), 'base64');
      add(part.toString('base64url'), 'base64url');
    }
  }
  return [...needles.values()];
}

/** Field values of a test document (the sandbox's description `fields`). */
export type DocumentFields = Partial<Record<string, string>>;

/** Fields that identify a person; sex, nationality, issuer, country and document dates do not on their own. */
const PERSONAL_FIELDS = [
  'given_name',
  'middle_name',
  'family_name',
  'date_of_birth',
  'id_number',
  'address_street',
  'address_unit',
  'address_city',
  'address_postal_code',
] as const;

/**
 * The personal fields of the test documents, as text (any case: barcodes write names in capitals)
 * and dates also as AAMVA barcodes write them (MMDDCCYY, CCYYMMDD). Values shorter than
 * MIN_NEEDLE_LENGTH ("Ada") would match unrelated text and are left out (a leak of a document
 * carries its longer fields too); short ones must stand apart from other letters and digits.
 */
export function personalFieldNeedles(documents: DocumentFields[]): Needle[] {
  const needles = new Map<string, Needle>();
  const add = (field: string, value: string) => {
    const trimmed = value.trim();
    if (trimmed.length < MIN_NEEDLE_LENGTH || needles.has(trimmed.toLowerCase())) return;
    const numeric = /^\d+$/.test(trimmed);
    const boundary = numeric ? 'digit' : trimmed.length < 6 ? 'word' : undefined;
    needles.set(trimmed.toLowerCase(), {
      kind: 'personal field',
      value: trimmed,
      detail: field,
      caseInsensitive: true,
      ...(boundary ? { boundary } : {}),
    });
  };
  for (const fields of documents) {
    for (const field of PERSONAL_FIELDS) {
      const value = fields[field];
      if (!value) continue;
      add(field, value);
      const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      if (date) {
        const [, y, m, d] = date;
        add(field, `${m}${d}${y}`);
        add(field, `${y}${m}${d}`);
      }
    }
  }
  return [...needles.values()];
}
