/**
 * `verify`: one whole verification, following Berbix's `next_step` exactly: each retake takes the
 * next file given for that side (or asks for one in a terminal), a failed barcode scan falls back
 * to photos, a passport asked for a back sends its front again, and the end shows the outcome.
 */
import { randomUUID } from 'node:crypto';
import {
  coachingLines,
  created,
  describeUploadFailure,
  isFinal,
  judged,
  sideName,
  waitForVerification,
  WaitTimeoutError,
  type Answer,
  type CreateVerificationRequest,
  type IdType,
  type UploadStep,
  type Verification,
  type VerificationClient,
} from '../../client';
import { connect, type Connection, type ConnectionOptions } from '../connection';
import { apiFailure, CliError, EXIT, type ExitCode } from '../errors';
import { readImageFile, readScanFile, type ImageFile, type ScanFile } from '../files';
import type { Ui } from '../ui';
import { sendUploadForm } from '../upload';
import { resultSummary, type ResultSummary } from './result';
import type { CountryCode } from '../../lambdas/berbix/countries';

export interface VerifyOptions extends ConnectionOptions {
  idType?: IdType;
  idCountry?: CountryCode;
  front: string[];
  back: string[];
  scan: string[];
  /** Seconds to wait for each verdict. */
  timeout: number;
}

/** What `--json` prints: the verification as it ended, the result summary, and any error. */
export interface VerifyReport {
  id?: string;
  status?: Verification['status'];
  next_step?: Verification['next_step'];
  issues?: Verification['issues'];
  issue_details?: Verification['issue_details'];
  attempts?: Verification['attempts'];
  failure_reason?: string;
  result?: ResultSummary;
  exit_code: ExitCode;
  error?: { message: string };
}

/** In the order given, one at a time: the first bad file is the one reported. */
async function readImageFiles(files: readonly string[]): Promise<ImageFile[]> {
  const read: ImageFile[] = [];
  for (const file of files) read.push(await readImageFile(file));
  return read;
}

const SIDE_TITLE = { document_front: 'Front', document_back: 'Back' } as const;

export class VerifyRun {
  /** The verification as last seen, for the report and for Ctrl-C. */
  current: Verification | undefined;
  private fronts: ImageFile[] = [];
  private backs: ImageFile[] = [];
  private readonly scans: ScanFile[];
  private readonly mayReuseFront: boolean;
  private reusedFront = false;
  private api!: VerificationClient;
  private connection!: Connection;

  constructor(
    private readonly options: VerifyOptions,
    private readonly ui: Ui,
  ) {
    this.scans = options.scan.map(readScanFile);
    // A passport has no back: when the type is unknown (or P) and no back was given, its front is sent again.
    this.mayReuseFront =
      options.back.length === 0 && (options.idType === undefined || options.idType === 'P');
    if (options.front.length === 0 && this.scans.length === 0 && !ui.canPrompt)
      throw new CliError(
        'verify needs --front FILE or --scan FILE (or a terminal to ask for one)',
        EXIT.usage,
      );
  }

  async run(): Promise<VerifyReport> {
    // Every file given is checked first: a bad one stops the run before anything is sent.
    this.fronts = await readImageFiles(this.options.front);
    this.backs = await readImageFiles(this.options.back);
    this.connection = await connect(this.options, 'client');
    this.api = this.connection.client;
    let v = await this.create();
    while (!isFinal(v.status)) v = await this.advance(v);
    return this.finish(v);
  }

  private async create(): Promise<Verification> {
    const body: CreateVerificationRequest = {
      ...(this.options.idCountry ? { id_country: this.options.idCountry } : {}),
      ...(this.options.idType ? { id_type: this.options.idType } : {}),
    };
    const spinner = this.ui.spin('Creating the verification');
    let answer: Answer<Verification>;
    try {
      answer = await this.api.createVerification(body, { idempotencyKey: randomUUID() });
      if (answer.ok && !created(answer.data)) {
        this.current = answer.data;
        answer = await this.wait(answer.data.id, created);
      }
    } finally {
      spinner.stop();
    }
    if (!answer.ok) throw apiFailure(answer, 'Creating the verification');
    const v = this.seen(answer.data);
    const what = [this.options.idCountry, this.options.idType].filter(Boolean).join(' ');
    this.ui.ok(`Verification ${this.ui.bold(v.id)} created${what ? ` (${what})` : ''}${this.nextText(v)}`);
    return v;
  }

  /** One step: sends what Berbix asks for now, and answers the verification once it was judged. */
  private async advance(v: Verification): Promise<Verification> {
    if (v.status !== 'awaiting_upload') {
      const answer = await this.waitWithSpinner(
        v.id,
        (x) => x.status === 'awaiting_upload' || isFinal(x.status),
        'Waiting for Berbix',
      );
      return this.seen(answer);
    }
    switch (v.next_step) {
      case 'upload_document_front': {
        const scan = this.scans.shift();
        if (scan) return this.sendScan(v, scan);
        const file = this.fronts.shift() ?? (await this.ask(v, 'document_front'));
        return this.sendImage(v, 'document_front', file);
      }
      case 'upload_document_back': {
        const file = this.backs.shift();
        if (file) return this.sendImage(v, 'document_back', file);
        if (this.mayReuseFront && !this.reusedFront) return this.reuseFront(v);
        const answer = await this.ask(v, 'document_back');
        return answer === 'same' ? this.reuseFront(v) : this.sendImage(v, 'document_back', answer);
      }
      case 'done':
      case null:
        return this.seen(await this.waitWithSpinner(v.id, (x) => isFinal(x.status), 'Fetching the result'));
      default:
        throw new CliError(
          `Berbix asks for ${v.next_step}, which this API does not take (document photos and barcode scans only); the verification stays open`,
          EXIT.usage,
        );
    }
  }

  private async sendImage(v: Verification, step: UploadStep, file: ImageFile): Promise<Verification> {
    const side = sideName(step);
    const attempt = (v.attempts[step] ?? 0) + 1;
    const form = await this.api.createUpload(v.id, { step, content_type: file.format });
    if (!form.ok) return this.conflictOr(form, `Asking for the ${side}'s upload form`);
    const progress = this.ui.progress(`Uploading the ${side} (${file.name})`, file.bytes.length);
    let outcome;
    try {
      outcome = await sendUploadForm(form.data, file, (sent, total) =>
        progress.update(Math.round((sent / total) * file.bytes.length)),
      );
    } catch (error) {
      throw new CliError(`Uploading the ${side} to S3 failed: ${(error as Error).message}`, EXIT.unavailable);
    }
    if (!outcome.ok)
      throw new CliError(`S3 refused the ${side}: ${describeUploadFailure(outcome)}`, EXIT.unavailable);
    progress.done();
    return this.judge(v, step, attempt);
  }

  private async sendScan(v: Verification, scan: ScanFile): Promise<Verification> {
    const attempt = (v.attempts.id_scan ?? 0) + 1;
    const sent = await this.api.submitIdScan(v.id, { scan_type: 'pdf417', data: scan.data });
    if (!sent.ok) return this.conflictOr(sent, 'Sending the barcode scan');
    this.ui.line(`Barcode scan sent (${scan.path})`);
    const answer = await this.waitWithSpinner(
      v.id,
      judged('id_scan', attempt),
      'Berbix is reading the barcode',
    );
    const after = this.seen(answer);
    if (isFinal(after.status) || after.next_step !== 'upload_document_front') {
      this.ui.ok(`Barcode scan accepted${this.nextText(after)}`);
    } else if (this.scans.length > 0) {
      this.ui.warn('Berbix could not use the barcode scan; trying the next --scan');
    } else {
      this.ui.warn('Berbix could not use the barcode scan; falling back to photos of the front');
    }
    return after;
  }

  private async reuseFront(v: Verification): Promise<Verification> {
    this.reusedFront = true;
    const attempt = (v.attempts.document_back ?? 0) + 1;
    const sent = await this.api.reuseFront(v.id);
    if (!sent.ok) return this.conflictOr(sent, 'Sending the front again as the back');
    this.ui.line('Berbix asks for a back; sending the front again as the back (a passport has none)');
    return this.judge(v, 'document_back', attempt);
  }

  /** Waits for the verdict on upload `attempt` of `step` and tells what Berbix made of it. */
  private async judge(before: Verification, step: UploadStep, attempt: number): Promise<Verification> {
    const side = sideName(step);
    const answer = await this.waitWithSpinner(
      before.id,
      judged(step, attempt),
      `Berbix is checking the ${side}`,
    );
    const after = this.seen(answer);
    if (after.status === 'completed') this.ui.ok(`${SIDE_TITLE[step]} accepted${this.nextText(after)}`);
    if (isFinal(after.status)) return after;
    const again = after.next_step === before.next_step;
    if (after.issues.length > 0) {
      this.ui.warn(
        again
          ? `Berbix asks for the ${side} again:`
          : `${SIDE_TITLE[step]} taken with issues${this.nextText(after)}:`,
      );
      for (const line of coachingLines(after)) this.ui.coach(line);
    } else if (again) {
      this.ui.warn(`Berbix asks for the ${side} again`);
    } else {
      this.ui.ok(`${SIDE_TITLE[step]} accepted${this.nextText(after)}`);
    }
    return after;
  }

  /** The next file for a retake (or the first one), asked for in a terminal when none is left. */
  private async ask(v: Verification, step: 'document_front'): Promise<ImageFile>;
  private async ask(v: Verification, step: 'document_back'): Promise<ImageFile | 'same'>;
  private async ask(v: Verification, step: UploadStep): Promise<ImageFile | 'same'> {
    const side = sideName(step);
    const retake = (v.attempts[step] ?? 0) > 0;
    if (!this.ui.canPrompt) {
      throw new CliError(
        `Berbix asks for the ${side}${retake ? ' again' : ''} and no --${side} file is left: pass ${
          retake ? 'another' : 'a'
        } --${side} FILE (each retake uses the next one); verification ${v.id} stays open`,
        EXIT.usage,
      );
    }
    const same = step === 'document_back' ? " (or 'same' to send the front again, for a passport)" : '';
    for (;;) {
      const answer = await this.ui.prompt(
        `Path to ${retake ? 'another' : 'an'} image of the ${side}${same}: `,
      );
      if (!answer) throw new CliError(`No file given; verification ${v.id} stays open`, EXIT.usage);
      if (same && answer.toLowerCase() === 'same') return 'same';
      try {
        return await readImageFile(answer);
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        this.ui.fail(error.message);
      }
    }
  }

  /** A 409 because the verification ended meanwhile is not an error: the loop sees the end. */
  private async conflictOr(
    failed: Extract<Answer<unknown>, { ok: false }>,
    doing: string,
  ): Promise<Verification> {
    if (failed.status === 409 && this.current) {
      const now = await this.api.getVerification(this.current.id);
      if (now.ok && isFinal(now.data.status)) return this.seen(now.data);
    }
    throw apiFailure(failed, doing);
  }

  private wait(id: string, until: (v: Verification) => boolean): Promise<Answer<Verification>> {
    return waitForVerification(this.api, id, until, { timeoutMs: this.options.timeout * 1000 });
  }

  private async waitWithSpinner(
    id: string,
    until: (v: Verification) => boolean,
    text: string,
  ): Promise<Verification> {
    const spinner = this.ui.spin(text);
    let answer: Answer<Verification>;
    try {
      answer = await this.wait(id, until);
    } catch (error) {
      if (!(error instanceof WaitTimeoutError)) throw error;
      throw new CliError(
        `No change within ${this.options.timeout} s (status ${error.last?.status ?? 'unknown'}); verification ${id} stays open`,
        EXIT.unavailable,
      );
    } finally {
      spinner.stop();
    }
    if (!answer.ok) throw apiFailure(answer, `Reading verification ${id}`);
    return answer.data;
  }

  private seen(v: Verification): Verification {
    this.current = v;
    return v;
  }

  private nextText(v: Verification): string {
    if (v.next_step === 'upload_document_front') return '; Berbix asks for the front';
    if (v.next_step === 'upload_document_back') return '; Berbix asks for the back';
    if (v.next_step === 'done') return '; Berbix has what it needs';
    return '';
  }

  private async finish(v: Verification): Promise<VerifyReport> {
    let result: ResultSummary | undefined = v.result && { action: v.result.action, flags: v.result.flags };
    let exitCode: ExitCode = EXIT.ok;
    if (v.status === 'completed') {
      const full = await this.fullResult(v.id);
      if (full) result = full;
      const flags = result?.flags.length ? `flags ${result.flags.join(', ')}` : 'no flags';
      this.ui.ok(`Completed: action ${this.ui.bold(String(result?.action ?? 'none'))}, ${flags}`);
      if (result?.fields) {
        const fields = Object.entries(result.fields).map(([name, confidence]) => `${name} (${confidence})`);
        this.ui.line(`  Fields read: ${fields.join(', ') || 'none'}`);
      } else {
        this.ui.line(
          this.ui.dim('  The fields Berbix read need a token with the backend scope (see `result ID`).'),
        );
      }
    } else if (v.status === 'failed') {
      exitCode = EXIT.failed;
      this.ui.fail(`Failed${v.failure_reason ? `: ${v.failure_reason}` : ''}`);
    } else {
      exitCode = EXIT.abandoned;
      this.ui.fail(
        v.status === 'abandoned' ? 'Abandoned: no upload came in time' : 'Deleted before it completed',
      );
    }
    return { ...reportOf(v), ...(result ? { result } : {}), exit_code: exitCode };
  }

  /** The backend's view of the result, when this token (or a minted local one) has the scope. */
  private async fullResult(id: string): Promise<ResultSummary | undefined> {
    try {
      const answer = await (await this.connection.backend()).getResult(id);
      return answer.ok ? resultSummary(answer.data) : undefined;
    } catch (error) {
      if (error instanceof CliError && error.exitCode === EXIT.auth) return undefined;
      throw error;
    }
  }
}

export function reportOf(v: Verification): Omit<VerifyReport, 'exit_code'> {
  return {
    id: v.id,
    status: v.status,
    next_step: v.next_step,
    issues: v.issues,
    issue_details: v.issue_details,
    attempts: v.attempts,
    ...(v.failure_reason ? { failure_reason: v.failure_reason } : {}),
  };
}
