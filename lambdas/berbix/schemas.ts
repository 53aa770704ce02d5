/** Runtime shapes of Berbix's responses (tolerant of nulls and unknown keys, strict on what we route on). */
import * as z from 'zod/mini';
import { ISSUES, NEXT_STEPS } from './types';
import type { BerbixTransaction, TransactionField, UploadOutcome } from './types';

/** `null` and absent are the same thing on the wire (Java's SDK sends nulls). */
const optional = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.nullish(schema),
    z.transform((v: z.output<T> | null | undefined) => v ?? undefined),
  );
const optionalString = optional(z.string());
const integer = z.union([z.int(), z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number))]);
const text = z.pipe(z.union([z.string(), z.number(), z.boolean()]), z.transform(String));

// Tokens end up in an Authorization header: visible ASCII only.
const token = z.string().check(z.regex(/^[\x21-\x7e]+$/));

export const tokenResponse = z.object({
  transaction_id: integer,
  access_token: token,
  client_token: token,
  refresh_token: optional(token),
  expires_in: optional(z.number().check(z.gte(0))),
  first_step: optional(z.enum(NEXT_STEPS)),
});

const issueDetails = z.pipe(
  z.nullish(
    z.object({
      unsupported_id_type: optional(z.object({ visa_page_of_passport: optional(z.boolean()) })),
    }),
  ),
  z.transform((d) => {
    const out: UploadOutcome['issueDetails'] = {};
    if (d?.unsupported_id_type) {
      const visa = d.unsupported_id_type.visa_page_of_passport;
      out.unsupported_id_type = visa === undefined ? {} : { visa_page_of_passport: visa };
    }
    return out;
  }),
);

const knownIssues: ReadonlySet<string> = new Set(ISSUES);

export const uploadResponse = z.pipe(
  z.object({
    next_step: z.enum(NEXT_STEPS),
    issues: optional(z.array(z.string())),
    issue_details: issueDetails,
  }),
  z.transform((r): UploadOutcome => {
    const all = r.issues ?? [];
    const outcome: UploadOutcome = {
      nextStep: r.next_step,
      issues: all.filter((i): i is UploadOutcome['issues'][number] => knownIssues.has(i)),
      issueDetails: r.issue_details,
    };
    const unknown = all.filter((i) => !knownIssues.has(i));
    if (unknown.length > 0) outcome.unrecognizedIssues = unknown;
    return outcome;
  }),
);

const fieldSource = z.object({ value: optional(text), type: optionalString, confidence: optionalString });

const field = z.object({
  value: text,
  confidence: optionalString,
  sources: z.pipe(
    optional(z.array(fieldSource)),
    z.transform((s) => s ?? []),
  ),
});

// A field without a usable value is dropped instead of failing the whole result.
const fields = z.pipe(
  optional(z.record(z.string(), z.unknown())),
  z.transform((raw) => {
    const out: Record<string, TransactionField> = {};
    for (const [name, candidate] of Object.entries(raw ?? {})) {
      const parsed = field.safeParse(candidate);
      if (parsed.success) out[name] = stripUndefined(parsed.data) as TransactionField;
    }
    return out;
  }),
);

const image = z.object({
  full_image: optionalString,
  cropped_image: optionalString,
  face_image: optionalString,
});

export const transactionResponse = z.pipe(
  z.object({
    id: integer,
    entity: optionalString,
    customer_uid: text,
    action: optionalString,
    flags: z.pipe(
      optional(z.array(z.string())),
      z.transform((f) => f ?? []),
    ),
    fields,
    images: optional(
      z.object({
        front: optional(image),
        back: optional(image),
        selfie: optional(image),
        liveness: optional(image),
      }),
    ),
    duplicates: z.pipe(
      optional(z.array(z.object({ customer_uid: text, transaction_id: integer }))),
      z.transform((d) => d ?? []),
    ),
    dashboard_url: optionalString,
    created_at: optionalString,
    completed_at: optionalString,
    implementation_info: optionalString,
  }),
  z.transform((t) => stripUndefined(t) as BerbixTransaction),
);

/** Berbix's error body: `{code, readable?, message}`, plus `next_step` on a 409. */
export const errorBody = z.object({
  code: optional(z.union([z.number(), z.string()])),
  message: optionalString,
  readable: optionalString,
  error: optionalString,
  next_step: optionalString,
});

/** Drops undefined members recursively, so cached JSON and deep equality stay clean. */
function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripUndefined) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, stripUndefined(v)]),
    ) as T;
  }
  return value;
}

/** The paths of what failed, never the values (they may be personal data). */
export function describeIssues(error: { issues: readonly { path: readonly PropertyKey[] }[] }): string {
  const paths = error.issues.map((i) => (i.path.length ? i.path.join('.') : '(root)'));
  return `unexpected response shape at ${[...new Set(paths)].slice(0, 5).join(', ')}`;
}
