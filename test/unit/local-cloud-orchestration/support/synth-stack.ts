/**
 * Synthesizes the project's real VerificationStack in-process, with stand-in handlers (each one
 * echoes its name, event and environment), into a temporary cloud assembly the template reader
 * and the local runtime can be tested against without waiting for the real handlers.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { stackPropsFromContext } from '../../../../lib/context';
import { VerificationStack } from '../../../../lib/verification-stack';
import { HANDLER_OF } from '../../../infra/synth';

const PROJECT_ROOT = path.resolve(__dirname, '../../../..');

/** Function id → handler entry, as docs/architecture.md lists them (the contract this reader is built for). */
export const ARCHITECTURE_FUNCTIONS = HANDLER_OF;

export interface SynthesizedFixture {
  dir: string;
  cdkOutDir: string;
  remove(): void;
}

/** Writes the stand-in handlers and synthesizes the stack with the given context into a temp dir. */
export function synthesizeStandInStack(context: Record<string, string> = {}): SynthesizedFixture {
  // NodejsFunction entries must live under the project root: use the git-ignored .local/.
  const root = path.join(PROJECT_ROOT, '.local', 'tmp');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(path.join(root, 'template-fixture-'));
  const handlersDir = path.join(dir, 'handlers');
  for (const handler of Object.values(ARCHITECTURE_FUNCTIONS)) {
    const file = path.join(handlersDir, `${handler}.ts`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      [
        'export const handler = async (event: unknown, context: { functionName: string }) => ({',
        `  handler: ${JSON.stringify(handler)},`,
        '  functionName: context.functionName,',
        '  env: { ...process.env },',
        '  event,',
        '});',
        '',
      ].join('\n'),
    );
  }
  const cdkOutDir = path.join(dir, 'cdk.out');
  // The CLI adds path and asset metadata; an in-process App only when asked.
  const app = new App({
    outdir: cdkOutDir,
    context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true, ...context },
  });
  const { stackName, ...props } = stackPropsFromContext((key) => app.node.tryGetContext(key));
  new VerificationStack(app, stackName, { ...props, handlersDir });
  app.synth();
  return { dir, cdkOutDir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
