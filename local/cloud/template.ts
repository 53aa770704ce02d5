/**
 * Reads the synthesized CloudFormation template (cdk.out) into a typed model of what the local cloud
 * runs: functions (bundled code + environment), HTTP API routes and JWT authorizers, bucket
 * notifications, state machines, tables, secrets and event buses. Intrinsics are resolved to local
 * names and ARNs, so the wiring comes from the same template `cdk deploy` ships.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/** The local account every emulator and function uses. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  accountId: '000000000000',
  accessKeyId: 'local',
  secretAccessKey: 'localsecretlocalsecret',
} as const;

export interface LambdaFunctionModel {
  logicalId: string;
  /** Construct id (the path segment before `Resource`), e.g. `CreateVerificationFn`. */
  constructId: string;
  /** Local function name (the template's FunctionName, else the construct id). */
  name: string;
  arn: string;
  /** Absolute path of the bundled code (cdk.out/asset.<hash>). */
  assetDir: string;
  /** `file.export`, e.g. `index.handler`. */
  handler: string;
  runtime: string;
  timeoutSeconds: number;
  memorySize: number;
  /** The template's environment with intrinsics resolved to local names. */
  environment: Record<string, string>;
  /** Retries of a failed asynchronous invocation (S3 events): the EventInvokeConfig's, else Lambda's 2. */
  asyncRetryAttempts: number;
}

export interface SkippedFunction {
  logicalId: string;
  path: string;
  reason: string;
}

export interface JwtAuthorizerModel {
  logicalId: string;
  name: string;
  issuer: string;
  audience: string[];
  /** e.g. `$request.header.Authorization`. */
  identitySource: string[];
}

export interface HttpRouteModel {
  logicalId: string;
  routeKey: string;
  /** Upper-case verb or `ANY`; `$default` routes have method `ANY` and path `$default`. */
  method: string;
  path: string;
  authorizationType: 'NONE' | 'JWT' | 'AWS_IAM' | 'CUSTOM';
  authorizer?: JwtAuthorizerModel;
  scopes: string[];
  functionName: string;
  payloadFormatVersion: string;
  timeoutMs: number;
}

export interface HttpApiModel {
  logicalId: string;
  name: string;
  routes: HttpRouteModel[];
  cors?: {
    allowOrigins: string[];
    allowMethods: string[];
    allowHeaders: string[];
    exposeHeaders: string[];
    allowCredentials: boolean;
    maxAge?: number;
  };
}

export interface BucketNotificationModel {
  functionName: string;
  /** e.g. `s3:ObjectCreated:*`. */
  events: string[];
  prefix?: string;
  suffix?: string;
}

export interface BucketModel {
  logicalId: string;
  name: string;
  corsOrigins: string[];
  notifications: BucketNotificationModel[];
}

export interface StateMachineModel {
  logicalId: string;
  name: string;
  arn: string;
  /** ASL JSON with DefinitionSubstitutions applied (function ARNs are local). */
  definition: string;
}

export interface TableModel {
  logicalId: string;
  name: string;
  arn: string;
  /** The table's Properties with intrinsics resolved (for createTableFromTemplate). */
  properties: Record<string, unknown>;
}

export interface SecretModel {
  logicalId: string;
  name: string;
  arn: string;
}

export interface EventBusModel {
  logicalId: string;
  name: string;
  arn: string;
}

export interface TemplateModel {
  stackName: string;
  templateFile: string;
  functions: LambdaFunctionModel[];
  skippedFunctions: SkippedFunction[];
  httpApis: HttpApiModel[];
  buckets: BucketModel[];
  stateMachines: StateMachineModel[];
  tables: TableModel[];
  secrets: SecretModel[];
  eventBuses: EventBusModel[];
  /** Intrinsics that had no local meaning and were replaced by a placeholder. */
  warnings: string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface CfnResource {
  Type: string;
  Properties?: JsonObject;
  Metadata?: JsonObject;
}

interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Parameters?: Record<string, { Default?: Json }>;
}

/**
 * CDK-internal functions that implement deployment-time custom resources; they never run locally
 * (their effect, e.g. the bucket notifications, is applied by the local cloud itself).
 */
const INTERNAL_FUNCTIONS: { pattern: RegExp; reason: string }[] = [
  { pattern: /BucketNotificationsHandler/, reason: 'CDK custom resource: bucket notifications' },
  { pattern: /LogRetention[0-9a-f]{32}/, reason: 'CDK custom resource: log retention' },
  { pattern: /AWS679f53fac002430cb0da5b7982bd2287/, reason: 'CDK AwsCustomResource' },
  { pattern: /CustomResourceProvider|Provider\/framework-/, reason: 'CDK custom resource provider' },
  { pattern: /AutoDeleteObjects/, reason: 'CDK custom resource: auto-delete objects' },
  { pattern: /CDKBucketDeployment/, reason: 'CDK custom resource: bucket deployment' },
];

export interface LoadTemplateOptions {
  /** cdk.out folder. @default `<projectDir>/cdk.out` */
  cdkOutDir?: string;
  /** Pick this stack when the assembly has several. */
  stackName?: string;
  /** Value for `Fn::GetAtt [<HttpApi>, ApiEndpoint]`. */
  apiUrl?: string;
}

/** Parses a synthesized cloud assembly into the model the local cloud runs. */
export function loadTemplate(options: LoadTemplateOptions & { projectDir?: string } = {}): TemplateModel {
  const cdkOutDir = options.cdkOutDir ?? path.join(options.projectDir ?? process.cwd(), 'cdk.out');
  const { stackName, templateFile } = findStack(cdkOutDir, options.stackName);
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as CfnTemplate;
  return parseTemplate(template, { stackName, templateFile, cdkOutDir, apiUrl: options.apiUrl });
}

function findStack(cdkOutDir: string, wanted?: string): { stackName: string; templateFile: string } {
  const manifestFile = path.join(cdkOutDir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`No cloud assembly at ${cdkOutDir}: run cdk synth first`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  const stacks = Object.entries(manifest.artifacts ?? {})
    .filter(([, a]) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
    .map(([id, a]) => ({
      stackName: a.properties?.stackName ?? id,
      templateFile: path.join(cdkOutDir, a.properties?.templateFile ?? ''),
    }));
  const chosen = wanted ? stacks.filter((s) => s.stackName === wanted) : stacks;
  if (chosen.length !== 1) {
    const names = stacks.map((s) => s.stackName).join(', ') || 'none';
    throw new Error(
      `Expected exactly one stack${wanted ? ` named ${wanted}` : ''} in ${cdkOutDir}; found: ${names}`,
    );
  }
  return chosen[0]!;
}

interface ParseContext {
  stackName: string;
  templateFile: string;
  cdkOutDir: string;
  apiUrl?: string;
}

/** Turns a parsed template into the local model. Exported for tests. */
export function parseTemplate(template: CfnTemplate, ctx: ParseContext): TemplateModel {
  const resources = template.Resources ?? {};
  const warnings: string[] = [];
  const physical = physicalNames(resources, ctx.stackName);
  const resolver = new Resolver(resources, template.Parameters ?? {}, physical, ctx, warnings);

  const functions: LambdaFunctionModel[] = [];
  const skippedFunctions: SkippedFunction[] = [];
  for (const [logicalId, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const cdkPath = String(r.Metadata?.['aws:cdk:path'] ?? logicalId);
    const internal = INTERNAL_FUNCTIONS.find((i) => i.pattern.test(cdkPath) || i.pattern.test(logicalId));
    const props = r.Properties ?? {};
    const code = (props.Code ?? {}) as JsonObject;
    if (internal || code.ZipFile !== undefined) {
      skippedFunctions.push({
        logicalId,
        path: cdkPath,
        reason: internal?.reason ?? 'inline code (custom resource)',
      });
      continue;
    }
    const name = physical.get(logicalId)!;
    const invokeConfig = Object.values(resources).find(
      (c) => c.Type === 'AWS::Lambda::EventInvokeConfig' && refersTo(c.Properties?.FunctionName, logicalId),
    );
    const env = ((props.Environment as JsonObject | undefined)?.Variables ?? {}) as JsonObject;
    functions.push({
      logicalId,
      constructId: constructIdOf(r, logicalId),
      name,
      arn: arn('lambda', `function:${name}`),
      assetDir: assetDirOf(r, ctx.cdkOutDir, logicalId),
      handler: String(props.Handler ?? 'index.handler'),
      runtime: String(props.Runtime ?? 'nodejs22.x'),
      timeoutSeconds: Number(props.Timeout ?? 3),
      memorySize: Number(props.MemorySize ?? 128),
      environment: Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, resolver.string(v, `${logicalId}.Environment.${k}`)]),
      ),
      asyncRetryAttempts: Number(invokeConfig?.Properties?.MaximumRetryAttempts ?? 2),
    });
  }

  const functionByArn = (value: Json, where: string): string => {
    const resolved = resolver.string(value, where);
    const fn = functions.find(
      (f) =>
        resolved === f.arn ||
        resolved === f.name ||
        resolved.includes(`:function:${f.name}/`) ||
        resolved.endsWith(`:function:${f.name}`),
    );
    if (!fn) throw new Error(`${where} targets ${resolved}, which is not a function the local cloud runs`);
    return fn.name;
  };

  const httpApis = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Api')
    .map(([logicalId, r]) => parseHttpApi(logicalId, r, resources, resolver, functionByArn));

  const buckets: BucketModel[] = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::S3::Bucket')
    .map(([logicalId, r]) => {
      const cors = (r.Properties?.CorsConfiguration as JsonObject | undefined)?.CorsRules as
        JsonObject[] | undefined;
      const native = r.Properties?.NotificationConfiguration as JsonObject | undefined;
      const custom = Object.values(resources).filter(
        (c) => c.Type === 'Custom::S3BucketNotifications' && refersTo(c.Properties?.BucketName, logicalId),
      );
      const configs = [
        native,
        ...custom.map((c) => c.Properties?.NotificationConfiguration as JsonObject | undefined),
      ];
      return {
        logicalId,
        name: physical.get(logicalId)!,
        corsOrigins: (cors ?? []).flatMap((rule) => (rule.AllowedOrigins as string[] | undefined) ?? []),
        notifications: configs.flatMap((c) =>
          ((c?.LambdaFunctionConfigurations as JsonObject[] | undefined) ?? []).map((lc, i) =>
            parseNotification(
              lc,
              functionByArn(lc.LambdaFunctionArn ?? lc.Function ?? null, `${logicalId} notification ${i}`),
            ),
          ),
        ),
      };
    });

  const stateMachines: StateMachineModel[] = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId, r]) => {
      const name = physical.get(logicalId)!;
      return {
        logicalId,
        name,
        arn: arn('states', `stateMachine:${name}`),
        definition: stateMachineDefinition(logicalId, r, resolver, ctx.cdkOutDir),
      };
    });

  const tables: TableModel[] = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table' || r.Type === 'AWS::DynamoDB::GlobalTable')
    .map(([logicalId, r]) => {
      const name = physical.get(logicalId)!;
      const properties = resolver.value(r.Properties ?? {}, `${logicalId}.Properties`) as Record<
        string,
        unknown
      >;
      return {
        logicalId,
        name,
        arn: arn('dynamodb', `table/${name}`),
        properties: { ...properties, TableName: name },
      };
    });

  const secrets: SecretModel[] = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret')
    .map(([logicalId]) => ({ logicalId, name: physical.get(logicalId)!, arn: resolver.refOf(logicalId) }));

  const eventBuses: EventBusModel[] = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Events::EventBus')
    .map(([logicalId]) => {
      const name = physical.get(logicalId)!;
      return { logicalId, name, arn: arn('events', `event-bus/${name}`) };
    });

  return {
    stackName: ctx.stackName,
    templateFile: ctx.templateFile,
    functions,
    skippedFunctions,
    httpApis,
    buckets,
    stateMachines,
    tables,
    secrets,
    eventBuses,
    warnings,
  };
}

function parseHttpApi(
  logicalId: string,
  api: CfnResource,
  resources: Record<string, CfnResource>,
  resolver: Resolver,
  functionByArn: (value: Json, where: string) => string,
): HttpApiModel {
  const ofApi = (type: string) =>
    Object.entries(resources).filter(([, r]) => r.Type === type && refersTo(r.Properties?.ApiId, logicalId));

  const authorizers = new Map<string, JwtAuthorizerModel>();
  for (const [id, r] of ofApi('AWS::ApiGatewayV2::Authorizer')) {
    const p = resolver.value(r.Properties ?? {}, `${id}.Properties`) as JsonObject;
    if (p.AuthorizerType !== 'JWT') continue;
    const jwt = (p.JwtConfiguration ?? {}) as JsonObject;
    authorizers.set(id, {
      logicalId: id,
      name: String(p.Name ?? id),
      issuer: String(jwt.Issuer ?? ''),
      audience: ((jwt.Audience as Json[] | undefined) ?? []).map(String),
      identitySource: ((p.IdentitySource as Json[] | undefined) ?? ['$request.header.Authorization']).map(
        String,
      ),
    });
  }

  const integrations = new Map<
    string,
    { functionName: string; payloadFormatVersion: string; timeoutMs: number }
  >();
  for (const [id, r] of ofApi('AWS::ApiGatewayV2::Integration')) {
    const p = r.Properties ?? {};
    if (p.IntegrationType !== 'AWS_PROXY') continue;
    integrations.set(id, {
      functionName: functionByArn(p.IntegrationUri ?? null, `${id}.IntegrationUri`),
      payloadFormatVersion: String(p.PayloadFormatVersion ?? '2.0'),
      timeoutMs: Number(p.TimeoutInMillis ?? 30_000),
    });
  }

  const routes: HttpRouteModel[] = [];
  for (const [id, r] of ofApi('AWS::ApiGatewayV2::Route')) {
    const p = r.Properties ?? {};
    const routeKey = resolver.string(p.RouteKey ?? null, `${id}.RouteKey`);
    const target = resolver.string(p.Target ?? null, `${id}.Target`);
    const integrationId = [...integrations.keys()].find(
      (i) => target === `integrations/${resolver.refOf(i)}`,
    );
    const integration = integrationId ? integrations.get(integrationId) : undefined;
    if (!integration) throw new Error(`Route ${routeKey} (${id}) has no Lambda proxy integration`);
    const [method, routePath] = routeKey === '$default' ? ['ANY', '$default'] : routeKey.split(' ', 2);
    const authorizerId = Object.keys(Object.fromEntries(authorizers)).find((a) =>
      refersTo(p.AuthorizerId, a),
    );
    routes.push({
      logicalId: id,
      routeKey,
      method: (method ?? 'ANY').toUpperCase(),
      path: routePath ?? '/',
      authorizationType: String(p.AuthorizationType ?? 'NONE') as HttpRouteModel['authorizationType'],
      authorizer: authorizerId ? authorizers.get(authorizerId) : undefined,
      scopes: ((p.AuthorizationScopes as Json[] | undefined) ?? []).map((s) =>
        resolver.string(s, `${id}.AuthorizationScopes`),
      ),
      ...integration,
    });
  }

  const cors = api.Properties?.CorsConfiguration
    ? (resolver.value(api.Properties.CorsConfiguration, `${logicalId}.CorsConfiguration`) as JsonObject)
    : undefined;
  const list = (v: Json | undefined) => ((v as Json[] | undefined) ?? []).map(String);
  return {
    logicalId,
    name: String(api.Properties?.Name ?? logicalId),
    routes,
    cors: cors && {
      allowOrigins: list(cors.AllowOrigins),
      allowMethods: list(cors.AllowMethods),
      allowHeaders: list(cors.AllowHeaders),
      exposeHeaders: list(cors.ExposeHeaders),
      allowCredentials: cors.AllowCredentials === true,
      maxAge: cors.MaxAge === undefined ? undefined : Number(cors.MaxAge),
    },
  };
}

function parseNotification(config: JsonObject, functionName: string): BucketNotificationModel {
  const rules = (
    ((config.Filter as JsonObject | undefined)?.Key ?? (config.Filter as JsonObject | undefined)?.S3Key) as
      JsonObject | undefined
  )?.FilterRules as JsonObject[] | undefined;
  const rule = (name: string) =>
    rules?.find((r) => String(r.Name).toLowerCase() === name)?.Value as string | undefined;
  const events = (config.Events as string[] | undefined) ?? (config.Event ? [String(config.Event)] : []);
  return { functionName, events, prefix: rule('prefix'), suffix: rule('suffix') };
}

function stateMachineDefinition(
  logicalId: string,
  r: CfnResource,
  resolver: Resolver,
  cdkOutDir: string,
): string {
  const p = r.Properties ?? {};
  let definition: string;
  if (p.DefinitionString !== undefined)
    definition = resolver.string(p.DefinitionString, `${logicalId}.DefinitionString`);
  else if (p.Definition !== undefined) definition = JSON.stringify(p.Definition);
  else if (p.DefinitionS3Location !== undefined) {
    const key = String((p.DefinitionS3Location as JsonObject).Key ?? '');
    const file = path.join(cdkOutDir, `asset.${key}`);
    if (!existsSync(file)) throw new Error(`${logicalId}: definition asset ${file} not found`);
    definition = readFileSync(file, 'utf8');
  } else throw new Error(`${logicalId} has no definition`);
  const substitutions = (p.DefinitionSubstitutions ?? {}) as JsonObject;
  for (const [key, value] of Object.entries(substitutions)) {
    definition = definition
      .split(`\${${key}}`)
      .join(resolver.string(value, `${logicalId}.DefinitionSubstitutions.${key}`));
  }
  return definition;
}

function constructIdOf(r: CfnResource, logicalId: string): string {
  const cdkPath = r.Metadata?.['aws:cdk:path'];
  // Without path metadata, the logical id is the construct path plus an 8-hex-digit hash.
  if (typeof cdkPath !== 'string') return logicalId.replace(/[0-9A-F]{8}$/, '') || logicalId;
  const segments = cdkPath.split('/');
  const last = segments.at(-1);
  const id = last === 'Resource' || last === 'Default' ? segments.at(-2) : last;
  return id && id.length > 0 ? id : logicalId;
}

function assetDirOf(r: CfnResource, cdkOutDir: string, logicalId: string): string {
  const metaPath = r.Metadata?.['aws:asset:path'];
  const s3Key = (r.Properties?.Code as JsonObject | undefined)?.S3Key;
  const candidates = [
    typeof metaPath === 'string' ? path.resolve(cdkOutDir, metaPath) : undefined,
    typeof s3Key === 'string' ? path.join(cdkOutDir, `asset.${s3Key.replace(/\.zip$/, '')}`) : undefined,
  ].filter((c): c is string => c !== undefined);
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw new Error(`${logicalId}: bundled code not found (looked in ${candidates.join(', ') || 'nothing'})`);
  return found;
}

function arn(service: string, resource: string): string {
  const { region, accountId } = LOCAL_AWS;
  if (service === 's3') return `arn:aws:s3:::${resource}`;
  return `arn:aws:${service}:${region}:${accountId}:${resource}`;
}

const NAME_PROPERTY: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::Events::EventBus': 'Name',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::Logs::LogGroup': 'LogGroupName',
};

/** Local physical names: the template's explicit name, else a readable one from the construct id. */
function physicalNames(resources: Record<string, CfnResource>, stackName: string): Map<string, string> {
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const [logicalId, r] of Object.entries(resources)) {
    const explicit = r.Properties?.[NAME_PROPERTY[r.Type] ?? ''];
    let name: string;
    if (typeof explicit === 'string') name = explicit;
    else {
      const id = constructIdOf(r, logicalId).replace(/[^A-Za-z0-9_-]/g, '');
      switch (r.Type) {
        case 'AWS::S3::Bucket':
          name = `${stackName}-${id}`
            .toLowerCase()
            .replace(/[^a-z0-9-]/g, '-')
            .slice(0, 63);
          break;
        case 'AWS::Lambda::Function':
        case 'AWS::StepFunctions::StateMachine':
          name = id.slice(0, 64);
          break;
        default:
          name = `${stackName}-${id}`.slice(0, 128);
      }
      if (used.has(name)) name = `${name.slice(0, 40)}-${logicalId.slice(-8)}`;
    }
    used.add(name);
    names.set(logicalId, name);
  }
  return names;
}

/** Resolves CloudFormation intrinsics to local values. */
class Resolver {
  constructor(
    private readonly resources: Record<string, CfnResource>,
    private readonly parameters: Record<string, { Default?: Json }>,
    private readonly physical: Map<string, string>,
    private readonly ctx: ParseContext,
    private readonly warnings: string[],
  ) {}

  string(value: Json, where: string): string {
    const v = this.value(value, where);
    return typeof v === 'string' ? v : JSON.stringify(v);
  }

  value(value: Json, where: string): Json {
    if (Array.isArray(value)) return value.map((v) => this.value(v, where));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [fn] = keys as [string];
      const arg = value[fn] as Json;
      switch (fn) {
        case 'Ref':
          return this.ref(String(arg), where);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/s);
          return this.getAtt(id ?? '', attr ?? '', where);
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, Json[]];
          return (this.value(parts, where) as Json[])
            .map((p) => (typeof p === 'string' ? p : String(p)))
            .join(sep);
        }
        case 'Fn::Sub':
          return this.sub(arg, where);
        case 'Fn::Select': {
          const [index, list] = arg as [Json, Json];
          return (this.value(list, where) as Json[])[Number(this.value(index, where))] ?? '';
        }
        case 'Fn::Split': {
          const [sep, source] = arg as [string, Json];
          return this.string(source, where).split(sep);
        }
        case 'Fn::Base64':
          return Buffer.from(this.string(arg, where)).toString('base64');
        default:
          if (fn.startsWith('Fn::')) {
            this.warnings.push(`${where}: ${fn} is not supported locally`);
            return `unresolved-${fn}`;
          }
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v, where)]));
  }

  refOf(logicalId: string): string {
    return String(this.ref(logicalId, logicalId));
  }

  private sub(arg: Json, where: string): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, JsonObject]) : [String(arg), {}];
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) => {
      if (vars[name] !== undefined) return this.string(vars[name], where);
      const [id, attr] = name.split(/\.(.*)/s);
      return attr
        ? this.string(this.getAtt(id ?? '', attr, where), where)
        : this.string(this.ref(name, where), where);
    });
  }

  private ref(id: string, where: string): Json {
    const { region, accountId } = LOCAL_AWS;
    const pseudo: Record<string, string> = {
      'AWS::Region': region,
      'AWS::AccountId': accountId,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.ctx.stackName,
      'AWS::StackId': `arn:aws:cloudformation:${region}:${accountId}:stack/${this.ctx.stackName}/local`,
      'AWS::NoValue': '',
    };
    if (pseudo[id] !== undefined) return pseudo[id];
    if (this.parameters[id]) return this.parameters[id].Default ?? '';
    const r = this.resources[id];
    const name = this.physical.get(id);
    if (!r || name === undefined) {
      this.warnings.push(`${where}: Ref to unknown ${id}`);
      return `unresolved-${id}`;
    }
    switch (r.Type) {
      case 'AWS::StepFunctions::StateMachine':
        return arn('states', `stateMachine:${name}`);
      case 'AWS::SecretsManager::Secret':
        // Secrets Manager appends six random characters; a stable hash keeps ARNs identical across runs.
        return arn(
          'secretsmanager',
          `secret:${name}-${createHash('sha256').update(name).digest('hex').slice(0, 6)}`,
        );
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${accountId}/${name}`;
      case 'AWS::KMS::Key':
        return createHash('sha256')
          .update(id)
          .digest('hex')
          .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/, '$1-$2-$3-$4-$5');
      case 'AWS::ApiGatewayV2::Api':
        return 'local';
      default:
        return name;
    }
  }

  private getAtt(id: string, attr: string, where: string): Json {
    const r = this.resources[id];
    const name = this.physical.get(id);
    if (!r || name === undefined) {
      this.warnings.push(`${where}: GetAtt of unknown ${id}`);
      return `unresolved-${id}.${attr}`;
    }
    const ref = this.ref(id, where);
    const arns: Record<string, () => string> = {
      'AWS::Lambda::Function': () => arn('lambda', `function:${name}`),
      'AWS::DynamoDB::Table': () => arn('dynamodb', `table/${name}`),
      'AWS::S3::Bucket': () => arn('s3', name),
      'AWS::StepFunctions::StateMachine': () => String(ref),
      'AWS::SecretsManager::Secret': () => String(ref),
      'AWS::Events::EventBus': () => arn('events', `event-bus/${name}`),
      'AWS::SQS::Queue': () => arn('sqs', name),
      'AWS::SNS::Topic': () => arn('sns', name),
      'AWS::IAM::Role': () => `arn:aws:iam::${LOCAL_AWS.accountId}:role/${name}`,
      'AWS::KMS::Key': () => arn('kms', `key/${String(ref)}`),
      'AWS::Logs::LogGroup': () => arn('logs', `log-group:${name}:*`),
    };
    if (attr === 'Arn' && arns[r.Type]) return arns[r.Type]!();
    if (attr === 'Name' || attr === 'TableName' || attr === 'QueueName' || attr === 'TopicName') return name;
    if (r.Type === 'AWS::ApiGatewayV2::Api' && attr === 'ApiEndpoint')
      return this.ctx.apiUrl ?? 'http://127.0.0.1:4000';
    if (r.Type === 'AWS::S3::Bucket' && /DomainName$/.test(attr)) return `${name}.s3.amazonaws.com`;
    if (r.Type === 'AWS::DynamoDB::Table' && attr === 'StreamArn') return `${arns[r.Type]!()}/stream/local`;
    if (r.Type === 'AWS::KMS::Key' && attr === 'KeyId') return ref;
    this.warnings.push(`${where}: GetAtt ${id}.${attr} has no local value`);
    return `unresolved-${id}.${attr}`;
  }
}

/** True when `value` is `{Ref: logicalId}` (or resolves from it). */
function refersTo(value: Json | undefined, logicalId: string): boolean {
  if (value === null || value === undefined || typeof value !== 'object') return false;
  if (!Array.isArray(value) && value.Ref === logicalId) return true;
  if (!Array.isArray(value) && Array.isArray(value['Fn::GetAtt']))
    return value['Fn::GetAtt'][0] === logicalId;
  return false;
}

/** The folders whose changes make a synthesized cdk.out stale. */
export const SOURCE_DIRS = ['bin', 'lib', 'lambdas', 'statemachine'];

/** Files whose changes do too: the app's settings, and the lockfile (the bundles hold the dependencies). */
const SOURCE_FILES = ['cdk.json', 'package-lock.json'];

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const s = statSync(target);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(target).reduce((max, entry) => {
    if (entry === 'node_modules' || entry.startsWith('.')) return max;
    return Math.max(max, newestMtime(path.join(target, entry)));
  }, s.mtimeMs);
}

/** True when cdk.out exists and is newer than every source file of the app. */
export function isCdkOutFresh(
  projectDir: string,
  cdkOutDir = path.join(projectDir, 'cdk.out'),
  context: Record<string, string> = {},
): boolean {
  const manifest = path.join(cdkOutDir, 'manifest.json');
  if (!existsSync(manifest)) return false;
  const built = statSync(manifest).mtimeMs;
  // The marker says which context the last synth by the local cloud used; a later plain synth outdates it.
  const marker = path.join(cdkOutDir, 'local-cloud-context.json');
  const recorded =
    existsSync(marker) && statSync(marker).mtimeMs >= built
      ? readFileSync(marker, 'utf8')
      : JSON.stringify({});
  if (recorded !== JSON.stringify(context)) return false;
  const sources = [...SOURCE_DIRS, ...SOURCE_FILES].map((d) => newestMtime(path.join(projectDir, d)));
  return sources.every((m) => m < built);
}

export interface SynthOptions {
  projectDir: string;
  /**
   * Where the cloud assembly goes. The local cloud keeps its own (synthesized with its context), so
   * a plain `cdk synth` into cdk.out neither races with it nor makes it stale.
   * @default `<projectDir>/.local/cdk.out`
   */
  outDir?: string;
  /** `-c key=value` pairs. */
  context?: Record<string, string>;
  /** Synthesize even when the assembly is fresh. */
  force?: boolean;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `cdk synth` unless the assembly is already newer than every source file and was made with
 * the same context. Another synth into the same folder (a second local cloud starting) is waited for.
 */
export async function synthesize(options: SynthOptions): Promise<{ cdkOutDir: string; reused: boolean }> {
  const { projectDir, context = {} } = options;
  const cdkOutDir = options.outDir ?? path.join(projectDir, '.local', 'cdk.out');
  const cdk = path.join(projectDir, 'node_modules', '.bin', 'cdk');
  const args = [
    'synth',
    '--no-notices',
    '-q',
    '-o',
    cdkOutDir,
    ...Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    if (!options.force && isCdkOutFresh(projectDir, cdkOutDir, context)) return { cdkOutDir, reused: true };
    options.log?.('Synthesizing the stack (cdk synth)…');
    try {
      await promisify(execFile)(cdk, args, { cwd: projectDir, maxBuffer: 64 * 1024 * 1024 });
      break;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      const output = e.stderr?.trim() || e.message;
      if (!/Another CLI .* is currently synthing/.test(output) || Date.now() > deadline) {
        throw new Error(`cdk synth failed:\n${output}`);
      }
      options.log?.('Another synth into the same folder is running; waiting for it…');
      await sleep(2000);
    }
  }
  writeFileSync(path.join(cdkOutDir, 'local-cloud-context.json'), JSON.stringify(context));
  return { cdkOutDir, reused: false };
}
