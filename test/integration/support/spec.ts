/**
 * Checks answers against docs/openapi.yaml: the status must be documented for the operation and the
 * body must match its schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses). A request the API does
 * not route must get API Gateway's 404, as the spec says.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

const SPEC_FILE = path.resolve(__dirname, '../../../docs/openapi.yaml');
const SPEC_ID = 'berbix-serverless-openapi';

interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  $ref?: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId: string;
  responses: Record<string, ResponseObject>;
}
interface Spec {
  paths: Record<string, Record<string, Operation | unknown>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, ResponseObject> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** Component refs become refs into one schema document of `$defs` that ajv knows by id. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string'
        ? v.replace(/^#\/components\/schemas\//, `${SPEC_ID}#/$defs/`)
        : rewriteRefs(v),
    ]),
  );
}

export interface SpecChecker {
  /** The spec's path template for a concrete path (`/verifications/vrf_…` → `/verifications/{id}`). */
  templateOf(method: string, concretePath: string): string | undefined;
  /** Problems with an answer, none when it is what the spec documents. */
  problems(answer: {
    method: string;
    template: string | undefined;
    status: number;
    contentType: string | null;
    text: string;
  }): string[];
}

export function loadSpecChecker(file = SPEC_FILE): SpecChecker {
  const spec = parse(readFileSync(file, 'utf8')) as Spec;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  addFormats(ajv);
  // OpenAPI's own annotation keyword, allowed in schemas.
  ajv.addKeyword('example');
  ajv.addSchema({ $id: SPEC_ID, $defs: rewriteRefs(spec.components.schemas) as object });
  const validators = new Map<unknown, ValidateFunction>();
  const validatorFor = (schema: unknown): ValidateFunction => {
    let validate = validators.get(schema);
    if (!validate) {
      validate = ajv.compile(rewriteRefs(schema) as object);
      validators.set(schema, validate);
    }
    return validate;
  };

  const templates = Object.keys(spec.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));

  const operation = (method: string, template: string): Operation | undefined => {
    const item = spec.paths[template];
    const op = item?.[method.toLowerCase()];
    return METHODS.includes(method.toLowerCase()) ? (op as Operation | undefined) : undefined;
  };

  const resolve = (response: ResponseObject): ResponseObject => {
    if (!response.$ref) return response;
    const name = response.$ref.replace('#/components/responses/', '');
    const resolved = spec.components.responses[name];
    if (!resolved) throw new Error(`the spec refers to a missing response ${response.$ref}`);
    return resolved;
  };

  return {
    templateOf(method, concretePath) {
      return templates.find((t) => t.pattern.test(concretePath) && operation(method, t.template))?.template;
    },
    problems({ method, template, status, contentType, text }) {
      const what = `${method.toUpperCase()} ${template ?? '(a path the API does not route)'} → ${status}`;
      const op = template ? operation(method, template) : undefined;
      if (!op) {
        return status === 404 && text === JSON.stringify({ message: 'Not Found' })
          ? []
          : [`${what}: an unrouted request must get API Gateway's 404 {"message":"Not Found"}, got ${text}`];
      }
      const documented =
        op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default;
      if (!documented) {
        return [
          `${what}: status not documented for ${op.operationId} (documented: ${Object.keys(op.responses).join(', ')}); body ${text}`,
        ];
      }
      const media = resolve(documented).content?.['application/json'];
      if (!media) return text === '' ? [] : [`${what}: the spec documents no body, got ${text}`];
      if (!contentType?.startsWith('application/json'))
        return [`${what}: expected application/json, got content-type ${contentType}`];
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return [`${what}: the body is not JSON: ${text.slice(0, 200)}`];
      }
      if (!media.schema) return [];
      const validate = validatorFor(media.schema);
      if (validate(body)) return [];
      return (validate.errors ?? []).map(
        (e) =>
          `${what}: body${e.instancePath || ''} ${e.message ?? 'is invalid'} (${e.schemaPath}); body ${text}`,
      );
    },
  };
}
