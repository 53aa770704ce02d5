/**
 * Runs the local cloud of the project under measurement (its own `local/cloud`, its own node_modules,
 * started with cwd = that project) in a process of its own, for the benchmarks. Prints
 * `READY <json>` once up; stops everything on SIGTERM/SIGINT or when stdin closes.
 * With `templateOnly`, it synthesizes the stack as the local cloud does, prints the functions and exits.
 * Only node builtins are imported here: the project's code is loaded by absolute path.
 */
import path from 'node:path';

interface ChildOptions {
  projectDir: string;
  envOverrides?: Record<string, string>;
  logFile?: string;
  templateOnly?: boolean;
}

interface FunctionModel {
  name: string;
  assetDir: string;
  handler: string;
  memorySize: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
}

const describeFunctions = (functions: FunctionModel[]) =>
  functions.map(({ name, assetDir, handler, memorySize, timeoutSeconds, environment }) => ({
    name,
    assetDir,
    handler,
    memorySize,
    timeoutSeconds,
    environment,
  }));

/** The synthesized template, exactly as the local cloud synthesizes it (same context, same assembly). */
async function printTemplate(projectDir: string): Promise<void> {
  const cloudDir = path.join(projectDir, 'local', 'cloud');
  const template = (await import(path.join(cloudDir, 'template.ts'))) as {
    synthesize(o: Record<string, unknown>): Promise<{ cdkOutDir: string }>;
    loadTemplate(o: Record<string, unknown>): { functions: FunctionModel[] };
  };
  const issuer = (await import(path.join(cloudDir, 'dev-issuer.ts'))) as {
    localIssuerUrl(port: number): string;
    LOCAL_AUDIENCE: string;
  };
  const { DEFAULT_API_PORT } = (await import(path.join(cloudDir, 'index.ts'))) as {
    DEFAULT_API_PORT: number;
  };
  const { cdkOutDir } = await template.synthesize({
    projectDir,
    context: { jwtIssuer: issuer.localIssuerUrl(DEFAULT_API_PORT), jwtAudience: issuer.LOCAL_AUDIENCE },
  });
  const model = template.loadTemplate({ cdkOutDir });
  process.stdout.write(
    `READY ${JSON.stringify({ cdkOutDir, functions: describeFunctions(model.functions) })}\n`,
  );
}

interface Cloud {
  apiUrl: string;
  sandbox?: { httpUrl: string; httpsUrl: string; apiSecret: string; caCertPem: string };
  berbix: { templateKey: string };
  endpoints: Record<string, string>;
  tableName: string;
  bucketName: string;
  stateMachineArn: string;
  credentials: { accessKeyId: string; secretAccessKey: string; region: string };
  template: { functions: FunctionModel[] };
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env.BENCH_CLOUD_OPTIONS ?? '{}') as ChildOptions;
  if (options.templateOnly) return printTemplate(options.projectDir);
  const entry = path.join(options.projectDir, 'local', 'cloud', 'index.ts');
  const { startLocalCloud } = (await import(entry)) as {
    startLocalCloud(o: Record<string, unknown>): Promise<Cloud>;
  };
  const cloud = await startLocalCloud({
    port: 0,
    berbix: 'sandbox',
    quiet: true,
    projectDir: options.projectDir,
    envOverrides: options.envOverrides,
    logFile: options.logFile,
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    cloud.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  const ready = {
    apiUrl: cloud.apiUrl,
    sandbox: cloud.sandbox && {
      httpUrl: cloud.sandbox.httpUrl,
      httpsUrl: cloud.sandbox.httpsUrl,
      apiSecret: cloud.sandbox.apiSecret,
      caCertPem: cloud.sandbox.caCertPem,
    },
    templateKey: cloud.berbix.templateKey,
    endpoints: cloud.endpoints,
    tableName: cloud.tableName,
    bucketName: cloud.bucketName,
    stateMachineArn: cloud.stateMachineArn,
    credentials: cloud.credentials,
    functions: describeFunctions(cloud.template.functions),
  };
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`the local cloud failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
