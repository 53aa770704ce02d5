import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ENV_NAMES, FLOW_ERRORS, TASK_ERRORS } from '../../lambdas/contract';
import { PROJECT_ROOT } from '../../lib/constructs/verification-function';
import { resolvedEnv, variablesReadOnLoad } from './handler-env';
import { HANDLER_OF, synthesize, type Synthesized } from './synth';

type Json = Record<string, unknown>;

/** Error names Step Functions and Lambda define themselves (`Sandbox.Timedout`: a function's timeout). */
const BUILT_IN_ERROR = /^(States|Lambda|Sandbox)\./;
const CONTRACT_ERRORS: ReadonlySet<string> = new Set([
  ...Object.values(TASK_ERRORS),
  ...Object.values(FLOW_ERRORS),
]);

/** Every error name a definition matches (Retry, Catch) or raises (a Fail, a Pass result's Error). */
function errorNames(definition: { States: Record<string, Json> }): string[] {
  return Object.values(definition.States).flatMap((state) => [
    ...[
      ...((state.Retry as Json[] | undefined) ?? []),
      ...((state.Catch as Json[] | undefined) ?? []),
    ].flatMap((r) => r.ErrorEquals as string[]),
    ...(typeof state.Error === 'string' ? [state.Error] : []),
    ...(typeof (state.Result as Json | undefined)?.Error === 'string'
      ? [(state.Result as Json).Error as string]
      : []),
  ]);
}

const unknownErrors = (definition: { States: Record<string, Json> }) =>
  errorNames(definition).filter((name) => !BUILT_IN_ERROR.test(name) && !CONTRACT_ERRORS.has(name));

const STATE_MACHINES = readdirSync(path.join(PROJECT_ROOT, 'statemachine')).filter((f) =>
  f.endsWith('.asl.json'),
);
const definitionOf = (file: string) =>
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'statemachine', file), 'utf8')) as {
    States: Record<string, Json>;
  };

/** Variables a function is given that its handler reads on load and the contract does not list. */
const unlisted = (read: Set<string>, given: Record<string, string>) =>
  [...read].filter((v) => v in given && !ENV_NAMES.has(v)).sort();

describe('the error names of the state machines', () => {
  it('are all in the contract, or built into Step Functions and Lambda', () => {
    expect(STATE_MACHINES.sort()).toEqual(['berbix-deletion.asl.json', 'verification.asl.json']);
    for (const file of STATE_MACHINES) {
      expect(errorNames(definitionOf(file)).length).toBeGreaterThan(0);
      expect({ file, unknown: unknownErrors(definitionOf(file)) }).toEqual({ file, unknown: [] });
    }
  });

  it('fail that check when a definition names an error the contract does not know', () => {
    const definition = definitionOf('verification.asl.json');
    const retry = definition.States.SubmitUpload!.Retry as Json[];
    retry.push({ ErrorEquals: ['BerbixHiccup'], MaxAttempts: 1 });
    expect(unknownErrors(definition)).toEqual(['BerbixHiccup']);
  });
});

describe('the environment of the functions', () => {
  let synth: Synthesized;
  let variables: Record<string, Record<string, string>>;

  beforeAll(() => {
    synth = synthesize();
    const resources = synth.template.toJSON().Resources as Record<string, { Properties: Json }>;
    variables = Object.fromEntries(
      Object.entries(synth.stack.verification.functions).map(([fnId, fn]) => {
        const logicalId = synth.stack.getLogicalId(fn.node.defaultChild as never);
        const env = (resources[logicalId]?.Properties.Environment as { Variables?: Json } | undefined)
          ?.Variables;
        return [fnId, resolvedEnv(env ?? {})];
      }),
    );
  });
  afterAll(() => synth.cleanup());

  it('holds only variables of the contract, besides Node.js options', () => {
    for (const [fnId, env] of Object.entries(variables)) {
      const outside = Object.keys(env).filter((v) => v !== 'NODE_OPTIONS' && !ENV_NAMES.has(v));
      expect({ fnId, outside }).toEqual({ fnId, outside: [] });
    }
  });

  it('is read by each handler only where the contract lists the variable', () => {
    expect(Object.keys(variables).sort()).toEqual(Object.keys(HANDLER_OF).sort());
    for (const [fnId, env] of Object.entries(variables)) {
      const read = variablesReadOnLoad(HANDLER_OF[fnId]!, env);
      expect({ fnId, unlisted: unlisted(read, env) }).toEqual({ fnId, unlisted: [] });
    }
  });

  it('fails that check for a handler that reads a variable the contract does not list', () => {
    const env = { ...variables.GetVerificationFn!, UNLISTED_REGION_OVERRIDE: 'eu-west-1' };
    const read = variablesReadOnLoad(path.join(__dirname, 'fixtures', 'reads-unlisted-variable.ts'), env);
    expect(unlisted(read, env)).toEqual(['UNLISTED_REGION_OVERRIDE']);
  });
});

describe('the functions code', () => {
  /** `process.env.NAME` or `process.env['NAME']` anywhere under lambdas/. */
  const LITERAL_READ = /process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*['"`]([^'"`]+)['"`]\s*\])/g;
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return sources(full);
      return entry.name.endsWith('.ts') ? [full] : [];
    });

  it('names no environment variable outside the contract', () => {
    // The pattern sees both spellings, so the check below can fail.
    const spelled = "process.env.SURPRISE ?? process.env['OTHER_SURPRISE']";
    expect([...spelled.matchAll(LITERAL_READ)].map((m) => m[1] ?? m[2])).toEqual([
      'SURPRISE',
      'OTHER_SURPRISE',
    ]);
    const named = sources(path.join(PROJECT_ROOT, 'lambdas')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(LITERAL_READ)].map((m) => ({
        file: path.relative(PROJECT_ROOT, file),
        variable: m[1] ?? m[2] ?? '',
      })),
    );
    expect(named.filter((n) => !ENV_NAMES.has(n.variable))).toEqual([]);
  });
});
