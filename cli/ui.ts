/**
 * What a person sees: lines on stdout, a spinner and a byte progress bar on stderr when it is a
 * terminal, prompts in a terminal. Colours only on a terminal and never with NO_COLOR (Node's
 * styleText checks both). With `--json` nothing but the final JSON is printed.
 */
import { createInterface } from 'node:readline/promises';
import { styleText } from 'node:util';
import { SingleBar } from 'cli-progress';
import ora from 'ora';
import { formatBytes } from './format';

type Style = Parameters<typeof styleText>[0];

export interface Spinner {
  update(text: string): void;
  /** Ends the spinner; the caller prints what follows. */
  stop(): void;
}

export interface Progress {
  update(sentBytes: number): void;
  done(): void;
}

export interface UiStreams {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export class Ui {
  /** Animations (spinner, bar) only on a terminal, never in JSON mode. */
  readonly animated: boolean;
  /** Questions only when a person can answer: stdin and stderr are terminals. */
  readonly canPrompt: boolean;

  constructor(
    readonly json: boolean,
    private readonly streams: UiStreams = process,
  ) {
    // A terminal that reports no width (some pseudo-terminals) cannot redraw a spinner line.
    this.animated = !json && Boolean(streams.stderr.isTTY) && (streams.stderr.columns ?? 0) > 0;
    this.canPrompt = Boolean(streams.stdin.isTTY && streams.stderr.isTTY);
  }

  private paint(style: Style, text: string, stream: NodeJS.WriteStream = this.streams.stdout): string {
    return styleText(style, text, { stream, validateStream: true });
  }

  /** A line of the human output (nothing in JSON mode). */
  line(text = ''): void {
    if (!this.json) this.streams.stdout.write(`${text}\n`);
  }

  ok(text: string): void {
    this.line(`${this.paint('green', '✔')} ${text}`);
  }

  warn(text: string): void {
    this.line(`${this.paint('yellow', '!')} ${text}`);
  }

  fail(text: string): void {
    this.line(`${this.paint('red', '✖')} ${text}`);
  }

  /** Coaching for the person holding the document, indented under the step it is about. */
  coach(text: string): void {
    this.line(`  ${this.paint('yellow', '→')} ${text}`);
  }

  dim(text: string): string {
    return this.paint('dim', text);
  }

  bold(text: string): string {
    return this.paint('bold', text);
  }

  /** An error line on stderr (in JSON mode the error is part of the JSON instead). */
  error(text: string): void {
    if (!this.json)
      this.streams.stderr.write(`${this.paint('red', 'error:', this.streams.stderr)} ${text}\n`);
  }

  spin(text: string): Spinner {
    if (!this.animated) {
      this.line(`${text}…`);
      return { update: (t) => this.line(`${t}…`), stop: () => undefined };
    }
    const colours = this.paint('cyan', '.', this.streams.stderr) !== '.';
    const spinner = ora({ text, stream: this.streams.stderr, color: colours ? 'cyan' : false }).start();
    return {
      update: (t) => {
        spinner.text = t;
      },
      stop: () => {
        spinner.stop();
      },
    };
  }

  /** Bytes sent of `total`: a bar on a terminal; elsewhere one line once done. */
  progress(label: string, total: number): Progress {
    if (!this.animated) {
      return { update: () => undefined, done: () => this.line(`${label}: ${formatBytes(total)} sent`) };
    }
    const bar = new SingleBar({
      stream: this.streams.stderr,
      format: `${label} [{bar}] {percentage}% {sent} of {size}`,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      clearOnComplete: true,
      noTTYOutput: false,
    });
    bar.start(total, 0, { sent: formatBytes(0), size: formatBytes(total) });
    return {
      update: (sent) => bar.update(sent, { sent: formatBytes(sent) }),
      done: () => {
        bar.stop();
        this.line(`${label}: ${formatBytes(total)} sent`);
      },
    };
  }

  /** Asks a question in the terminal; undefined without one, on Ctrl-D or on an empty answer. */
  async prompt(question: string): Promise<string | undefined> {
    if (!this.canPrompt) return undefined;
    const rl = createInterface({ input: this.streams.stdin, output: this.streams.stderr, terminal: true });
    const closed = new Promise<undefined>((resolve) => rl.once('close', () => resolve(undefined)));
    // Ctrl-C at the question stops the CLI as it does anywhere else.
    rl.once('SIGINT', () => process.kill(process.pid, 'SIGINT'));
    try {
      const answer = await Promise.race([
        rl.question(this.paint('bold', question, this.streams.stderr)),
        closed,
      ]);
      return answer?.trim() || undefined;
    } finally {
      rl.close();
    }
  }

  /** Prints `value` as the one JSON object of JSON mode. */
  printJson(value: unknown): void {
    this.streams.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}
