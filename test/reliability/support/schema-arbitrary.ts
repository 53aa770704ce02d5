/**
 * fast-check arbitraries from the JSON Schemas of docs/openapi.yaml: values the schema accepts,
 * and values a careless or hostile caller would send instead (a field dropped, a field added, a
 * value of the wrong type, any JSON at all).
 */
import fc from 'fast-check';

export interface Schema {
  $ref?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

/** Values `schema` accepts (`defs`: the spec's `components.schemas`, for `$ref`). */
export function validValue(schema: Schema, defs: Record<string, Schema>): fc.Arbitrary<unknown> {
  if (schema.$ref) {
    const target = defs[schema.$ref.replace('#/components/schemas/', '')];
    if (!target) throw new Error(`no schema ${schema.$ref}`);
    return validValue(target, defs);
  }
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const choices = schema.oneOf ?? schema.anyOf;
  if (choices) return fc.oneof(...choices.map((s) => validValue(s, defs)));
  const types = [schema.type ?? 'object'].flat();
  return fc.oneof(...types.map((type) => valueOfType(type, schema, defs)));
}

function valueOfType(type: string, schema: Schema, defs: Record<string, Schema>): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      if (schema.pattern) {
        const pattern = new RegExp(schema.pattern);
        return fc
          .stringMatching(pattern)
          .filter((s) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? Infinity));
      }
      if (schema.format === 'email') return fc.emailAddress();
      return fc.string({
        minLength: schema.minLength ?? 0,
        maxLength: Math.min(schema.maxLength ?? 40, 200),
      });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e12 });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(schema.items ? validValue(schema.items, defs) : fc.jsonValue(), { maxLength: 3 });
    case 'object': {
      const properties = schema.properties ?? {};
      return fc.record(
        Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, validValue(s, defs)])),
        { requiredKeys: schema.required ?? [] },
      );
    }
    default:
      throw new Error(`no arbitrary for type ${type}`);
  }
}

/** Strings that break parsers and validators: controls, NUL, escapes, very long, not UTF-8-ish. */
export const awkwardString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '\0',
    '%zz',
    '../../etc',
    '<svg/onload=1>',
    "' OR 1=1 --",
    '\u202e',
    'A'.repeat(5000),
  ),
  fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 8 }),
);

/**
 * A request body for an operation with `schema`: mostly valid ones (so the handlers' real work is
 * reached), the rest broken in one way, or not even JSON.
 */
export function requestBody(
  schema: Schema | undefined,
  defs: Record<string, Schema>,
): fc.Arbitrary<{ text: string | undefined; contentType: string | undefined }> {
  const json = (value: unknown) => ({ text: JSON.stringify(value), contentType: 'application/json' });
  const valid = schema ? validValue(schema, defs) : fc.constant({});
  const object = valid.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
  return fc.oneof(
    { weight: 4, arbitrary: valid.map(json) },
    // One field changed to anything, or one unknown field added.
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          object,
          fc.oneof(fc.constantFrom(...Object.keys(schema?.properties ?? { x: 0 })), awkwardString),
          fc.jsonValue(),
        )
        .map(([value, key, replacement]) => json({ ...value, [key]: replacement })),
    },
    // A required field dropped.
    {
      weight: 1,
      arbitrary: fc
        .tuple(object, fc.constantFrom(...(schema?.required ?? ['x'])))
        .map(([value, key]) => json(Object.fromEntries(Object.entries(value).filter(([k]) => k !== key)))),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(json) },
    {
      weight: 1,
      arbitrary: fc.record({
        text: fc.oneof(awkwardString, fc.constantFrom('{', '{"a":', 'null', '[]', '1e999', '"\\ud800"')),
        contentType: fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          undefined,
        ),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ text: undefined, contentType: undefined }) },
  );
}
