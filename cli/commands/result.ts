/** `status ID`, `result ID`, `delete ID` and `token`: one call each, printed for a person or as JSON. */
import { coachingLines, type Verification, type VerificationResult } from '../../client';
import { connect, mintForCommand, type ConnectionOptions } from '../connection';
import { apiFailure, CliError, EXIT } from '../errors';
import type { Ui } from '../ui';

/** Berbix's decision and, from the full result, which fields it read with what confidence (no values). */
export interface ResultSummary {
  action: string | null;
  flags: string[];
  fields?: Record<string, string>;
}

export function resultSummary(result: VerificationResult): ResultSummary {
  const { action, flags, fields } = result.result;
  return {
    action: action ?? null,
    flags: flags ?? [],
    fields: Object.fromEntries(
      Object.entries(fields ?? {}).map(([name, f]) => [name, f.confidence ?? 'unknown']),
    ),
  };
}

export async function status(id: string, options: ConnectionOptions, ui: Ui): Promise<void> {
  // Locally, a minted backend token sees every verification, whoever created it.
  const { client } = await connect(options, 'backend');
  const answer = await client.getVerification(id);
  if (!answer.ok) throw apiFailure(answer, `Reading verification ${id}`);
  if (ui.json) return ui.printJson(answer.data);
  printVerification(answer.data, ui);
}

function printVerification(v: Verification, ui: Ui): void {
  ui.line(`${ui.bold(v.id)}  ${v.status}`);
  ui.line(`  next step  ${v.next_step ?? '-'}`);
  const attempts = Object.entries(v.attempts).map(([step, n]) => `${step} ${n}`);
  ui.line(`  attempts   ${attempts.join(', ') || 'none yet'}`);
  if (v.result)
    ui.line(`  result     action ${v.result.action ?? 'none'}, flags ${v.result.flags.join(', ') || 'none'}`);
  if (v.failure_reason) ui.line(`  failure    ${v.failure_reason}`);
  if (v.issues.length > 0) {
    ui.line(`  issues     ${v.issues.join(', ')}`);
    for (const line of coachingLines(v)) ui.coach(line);
  }
}

export async function result(id: string, options: ConnectionOptions, ui: Ui): Promise<void> {
  const { client } = await connect(options, 'backend');
  const answer = await client.getResult(id);
  if (!answer.ok) throw apiFailure(answer, `Reading the result of ${id}`);
  if (ui.json) return ui.printJson(answer.data);
  const { action, flags, fields = {} } = answer.data.result;
  ui.line(`${ui.bold(id)}  action ${action ?? 'none'}, flags ${flags?.join(', ') || 'none'}`);
  ui.line(ui.dim(`  fetched from Berbix at ${answer.data.fetched_at}; personal data: keep it safe`));
  for (const [name, field] of Object.entries(fields))
    ui.line(`  ${name.padEnd(22)} ${field.value ?? ''}  ${ui.dim(`(${field.confidence ?? 'unknown'})`)}`);
}

export async function remove(
  id: string,
  options: ConnectionOptions & { yes?: boolean },
  ui: Ui,
): Promise<void> {
  if (!options.yes) {
    if (!ui.canPrompt)
      throw new CliError(
        `delete asks for confirmation in a terminal; pass --yes to delete ${id} without`,
        EXIT.usage,
      );
    const answer = await ui.prompt(
      `Delete ${id}, its images and its personal data, here and at Berbix? [y/N] `,
    );
    if (!/^y(es)?$/i.test(answer ?? '')) throw new CliError('Not deleted', EXIT.usage);
  }
  const { client } = await connect(options, 'backend');
  const answer = await client.deleteVerification(id);
  if (!answer.ok) throw apiFailure(answer, `Deleting ${id}`);
  const atBerbix = answer.data?.berbix_deletion ?? 'done';
  if (ui.json) return ui.printJson({ id, deleted: true, berbix_deletion: atBerbix });
  ui.ok(`Deleted ${id}: images, tokens and personal data are gone here; a tombstone remains`);
  if (atBerbix === 'pending')
    ui.line(`  Berbix's copy is being deleted by retries; \`status ${id}\` shows when it is done`);
}

export async function token(
  options: ConnectionOptions & { sub: string; backend?: boolean; expiresIn: number },
  ui: Ui,
): Promise<void> {
  const minted = await mintForCommand(options, options.sub, Boolean(options.backend), options.expiresIn);
  if (ui.json) return ui.printJson(minted);
  // The token alone on stdout, so `TOKEN=$(berbix-serverless token)` works.
  process.stdout.write(`${minted.token}\n`);
}
