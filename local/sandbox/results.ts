import { ADDRESS_FIELD_NAMES, type DocumentFields, type DocumentKind } from './description';
import type { IdType, Transaction } from './engine';

export type Confidence = 'high' | 'medium' | 'low';
export interface FieldSource {
  value: string;
  type: 'document_front' | 'document_back' | 'barcode' | 'barcode_scan' | 'transaction' | 'override';
  confidence: Confidence;
}
export interface ResultField {
  value: string;
  confidence: Confidence;
  sources: FieldSource[];
}

const ID_TYPE_OF_DOCUMENT: Partial<Record<DocumentKind, IdType>> = {
  drivers_license: 'DL',
  id_card: 'ID',
  passport: 'P',
  passport_card: 'PC',
  permanent_resident_card: 'PRC',
};
const ADDRESS_FIELDS: ReadonlySet<string> = new Set(ADDRESS_FIELD_NAMES);

function collectSources(tx: Transaction): Map<string, FieldSource[]> {
  const sources = new Map<string, FieldSource[]>();
  const add = (
    name: string,
    value: string | undefined,
    type: FieldSource['type'],
    confidence: Confidence,
  ) => {
    if (value === undefined || value === '') return;
    sources.set(name, [...(sources.get(name) ?? []), { value, type, confidence }]);
  };
  const addAll = (fields: DocumentFields | undefined, type: FieldSource['type'], confidence: Confidence) => {
    for (const [name, value] of Object.entries(fields ?? {})) {
      // Address fields only come from a successfully read barcode, as on Berbix.
      if (ADDRESS_FIELDS.has(name) && type !== 'barcode' && type !== 'barcode_scan') continue;
      add(name, value, type, confidence);
    }
  };
  if (tx.scan) addAll(tx.scan.fields, 'barcode_scan', 'high');
  if (tx.back) {
    const barcodeRead = !tx.back.waivedIssues.includes('incomplete_barcode_detected');
    const isPassport = tx.back.description?.document === 'passport';
    addAll(
      tx.back.description?.fields,
      barcodeRead && !isPassport ? 'barcode' : 'document_back',
      tx.back.waivedIssues.length > 0 ? 'low' : barcodeRead && !isPassport ? 'high' : 'medium',
    );
  }
  if (tx.front) {
    addAll(
      tx.front.description?.fields,
      'document_front',
      tx.front.waivedIssues.length > 0 ? 'low' : 'medium',
    );
  }
  const document = tx.front?.description?.document;
  const idType =
    tx.override?.idType ?? (document && ID_TYPE_OF_DOCUMENT[document]) ?? tx.scan?.documentType ?? tx.idType;
  add('id_type', idType, 'transaction', 'high');
  if (!sources.has('id_issuer')) add('id_issuer', tx.idCountry, 'transaction', 'medium');
  add('email_address', tx.email, 'transaction', 'high');
  add('phone_number', tx.phone, 'transaction', 'high');
  for (const [name, value] of Object.entries(tx.override?.fields ?? {})) {
    sources.set(name, [{ value, type: 'override', confidence: 'high' }]);
  }
  return sources;
}

const RANK: Record<Confidence, number> = { high: 3, medium: 2, low: 1 };

/** One value per field: the most confident source wins; agreeing sources raise, disagreeing lower it. */
function resolve(sources: FieldSource[]): ResultField {
  const best = [...sources].sort((a, b) => RANK[b.confidence] - RANK[a.confidence])[0]!;
  const agree = sources.filter((s) => s.value.toLowerCase() === best.value.toLowerCase()).length;
  let confidence = best.confidence;
  if (agree < sources.length) confidence = 'low';
  else if (agree > 1) confidence = 'high';
  return { value: best.value, confidence, sources };
}

export function buildFields(tx: Transaction, now: Date): Record<string, ResultField> {
  const fields: Record<string, ResultField> = {};
  for (const [name, sources] of collectSources(tx)) fields[name] = resolve(sources);
  const dob = fields.date_of_birth?.value;
  const age = dob ? ageOn(dob, now) : undefined;
  if (age !== undefined && !('age' in fields)) {
    const confidence = fields.date_of_birth!.confidence;
    fields.age = {
      value: String(age),
      confidence,
      sources: [{ value: String(age), type: 'transaction', confidence }],
    };
  }
  return fields;
}

/** Whole years between a YYYY-MM-DD date of birth and `now` (UTC), or undefined if not a date. */
export function ageOn(dateOfBirth: string, now: Date): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateOfBirth);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let age = now.getUTCFullYear() - year;
  const beforeBirthday =
    now.getUTCMonth() + 1 < month || (now.getUTCMonth() + 1 === month && now.getUTCDate() < day);
  if (beforeBirthday) age -= 1;
  return age;
}

export function buildFlags(
  tx: Transaction,
  fields: Record<string, ResultField>,
  now: Date,
  duplicates: unknown[],
): string[] {
  if (tx.override?.flags) return [...tx.override.flags];
  const flags: string[] = [];
  const expiry = fields.id_expiry_date?.value;
  if (!expiry || !/^\d{4}-\d{2}-\d{2}$/.test(expiry)) flags.push('id_expiry_unknown');
  else if (expiry < now.toISOString().slice(0, 10)) flags.push('id_expired');
  const age = fields.age ? Number(fields.age.value) : undefined;
  if (age === undefined) flags.push('id_age_unknown');
  else {
    if (age < 18) flags.push('id_under_18');
    if (age < 21) flags.push('id_under_21');
  }
  if (tx.front?.waivedIssues.includes('no_face_on_id_detected')) flags.push('id_no_face_detected');
  if (tx.back?.waivedIssues.includes('incomplete_barcode_detected')) flags.push('id_no_barcode_detected');
  if (duplicates.length > 0) flags.push('id_duplicate_possible');
  return flags;
}

const REJECT_FLAGS = new Set(['id_expired', 'id_under_18']);
const REVIEW_FLAGS = new Set([
  'id_expiry_unknown',
  'id_age_unknown',
  'id_no_face_detected',
  'id_no_barcode_detected',
  'id_duplicate_possible',
  'id_duplicate_detected',
  'id_sample_detected',
  'id_blocked_possible',
]);

/**
 * The sandbox's action map (a dashboard setting on Berbix): reject an expired ID, an under-18 holder
 * or an unsupported document accepted after attempts ran out; review anything uncertain; else accept.
 */
export function deriveAction(tx: Transaction, flags: string[]): 'accept' | 'reject' | 'review' {
  const waived = [...(tx.front?.waivedIssues ?? []), ...(tx.back?.waivedIssues ?? [])];
  if (flags.some((f) => REJECT_FLAGS.has(f)) || waived.includes('unsupported_id_type')) return 'reject';
  if (flags.some((f) => REVIEW_FLAGS.has(f)) || waived.includes('text_unreadable')) return 'review';
  return 'accept';
}
