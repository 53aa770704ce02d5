/**
 * `berbix-serverless`: run a verification against a deployed stack or the local cloud, read its
 * status and result, delete it, mint local tokens. See docs/cli.md.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { NetworkError, type IdType } from '../client';
import { version } from '../package.json';
import { remove, result, status, token } from './commands/result';
import { reportOf, VerifyRun, type VerifyOptions, type VerifyReport } from './commands/verify';
import { ENV } from './connection';
import { CliError, EXIT, type ExitCode } from './errors';
import { Ui } from './ui';
import { isCountryCode, type CountryCode } from '../lambdas/berbix/countries';

const ID_TYPES: IdType[] = ['P', 'DL', 'PRC', 'PC', 'ID'];

const collect = (value: string, previous: string[] = []) => [...previous, value];

function idType(value: string): IdType {
  const upper = value.toUpperCase() as IdType;
  if (!ID_TYPES.includes(upper)) throw new InvalidArgumentError(`one of ${ID_TYPES.join(', ')}`);
  return upper;
}

/** The API refuses anything but an assigned ISO 3166-1 alpha-2 code: so does the CLI, before sending. */
function country(value: string): CountryCode {
  const code = value.toUpperCase();
  if (!isCountryCode(code)) throw new InvalidArgumentError('an assigned ISO 3166-1 alpha-2 code, e.g. US');
  return code;
}

const positiveInteger = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a whole number above 0`);
  return n;
};

const EPILOG = `
Without --api and --token, against a running \`npm start\`, the CLI finds the local API
(.local/cloud.json, else ${'http://127.0.0.1:4000'}) and mints a local token by itself.

Environment: ${ENV.api} and ${ENV.token} stand for --api and --token;
NO_COLOR turns colours off (they are off anyway when the output is not a terminal).

Exit codes: 0 completed (or done), 2 bad usage or input, 3 verification failed,
4 abandoned or deleted, 5 token missing or refused, 6 API or S3 unreachable or failing,
1 a bug, 130 interrupted. Details: docs/cli.md.`;

type VerifyFlags = Omit<VerifyOptions, 'front' | 'back' | 'scan'> &
  Partial<Pick<VerifyOptions, 'front' | 'back' | 'scan'>>;

interface Common {
  api?: string;
  token?: string;
  json?: boolean;
}

/** The options every command that calls the API takes. */
function connectionOptions(command: Command): Command {
  return command
    .addOption(new Option('--api <url>', "the API's base URL").env(ENV.api))
    .addOption(new Option('--token <jwt>', 'a JWT for the API (never printed)').env(ENV.token))
    .option('--json', 'print one JSON object instead of the human output');
}

export async function main(argv: string[], streams = process): Promise<ExitCode> {
  let ui = new Ui(false, streams);
  let exitCode: ExitCode = EXIT.ok;
  let run: VerifyRun | undefined;

  const onInterrupt = () => {
    const v = run?.current;
    const message = `Interrupted${v ? `; verification ${v.id} stays open (status ${v.status})` : ''}`;
    if (ui.json) ui.printJson({ ...(v ? reportOf(v) : {}), exit_code: EXIT.interrupted, error: { message } });
    else streams.stderr.write(`\n${message}\n`);
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', onInterrupt);

  const program = new Command('berbix-serverless')
    .description("Runs Berbix's API-only ID verification against berbix-serverless, deployed or local.")
    .version(version)
    .showHelpAfterError('(see --help)')
    .addHelpText('after', EPILOG)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => streams.stdout.write(s),
      writeErr: (s) => streams.stderr.write(s),
    });

  connectionOptions(
    program
      .command('verify')
      .description(
        'run one whole verification: upload each side Berbix asks for, retake on issues, show the outcome',
      )
      .addOption(
        new Option('--id-type <type>', `the document type (${ID_TYPES.join(', ')})`).argParser(idType),
      )
      .addOption(
        new Option('--id-country <code>', 'the issuing country, ISO 3166-1 alpha-2').argParser(country),
      )
      .option('--front <file>', 'a JPEG or PNG of the front; repeat it: each retake uses the next', collect)
      .option('--back <file>', 'a JPEG or PNG of the back; repeat it: each retake uses the next', collect)
      .option(
        '--scan <file>',
        'a PDF417 barcode payload (AAMVA text or base64), tried before photos',
        collect,
      )
      .addOption(
        new Option('--timeout <seconds>', 'how long to wait for each verdict')
          .default(120)
          .argParser(positiveInteger('--timeout')),
      ),
  ).action(async (options: Common & VerifyFlags) => {
    ui = new Ui(Boolean(options.json), streams);
    run = new VerifyRun(
      { ...options, front: options.front ?? [], back: options.back ?? [], scan: options.scan ?? [] },
      ui,
    );
    const report: VerifyReport = await run.run();
    if (ui.json) ui.printJson(report);
    exitCode = report.exit_code;
  });

  /** A command about one verification: `NAME ID` with the connection flags. */
  const aboutOne = (
    name: string,
    description: string,
    run: (id: string, options: Common & { yes?: boolean }, ui: Ui) => Promise<void>,
    extra: (command: Command) => Command = (command) => command,
  ) =>
    connectionOptions(
      extra(program.command(name).argument('<id>', 'a verification id').description(description)),
    ).action(async (id: string, options: Common & { yes?: boolean }) => {
      ui = new Ui(Boolean(options.json), streams);
      await run(id, options, ui);
    });

  aboutOne('status', 'show status, next step, issues', status);
  aboutOne('result', "show Berbix's result (backend scope; personal data)", result);
  aboutOne(
    'delete',
    'delete a verification, its images and personal data (backend scope)',
    remove,
    (command) => command.option('-y, --yes', 'do not ask for confirmation'),
  );

  program
    .command('token')
    .description('mint a token from the local cloud (npm start) and print it')
    .option('--sub <subject>', 'the token subject (the end user)', 'berbix-serverless-cli')
    .option('--backend', 'the backend scope instead of the client scope')
    .addOption(
      new Option('--expires-in <seconds>', 'lifetime')
        .default(3600)
        .argParser(positiveInteger('--expires-in')),
    )
    .addOption(new Option('--api <url>', "the local cloud's API URL").env(ENV.api))
    .option('--json', 'print the token with its subject, scopes and lifetime as JSON')
    .action(async (options: Common & { sub: string; backend?: boolean; expiresIn: number }) => {
      ui = new Ui(Boolean(options.json), streams);
      await token(options, ui);
    });

  try {
    await program.parseAsync(argv);
  } catch (error) {
    exitCode = fail(error, ui, run);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
  return exitCode;
}

/** Ends with one clear line (or the JSON with an `error`), never a stack trace. */
function fail(error: unknown, ui: Ui, run: VerifyRun | undefined): ExitCode {
  if (error instanceof CommanderError) {
    // Help and version end with code 0; commander printed its usage error itself.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  let failure: CliError;
  if (error instanceof CliError) failure = error;
  else if (error instanceof NetworkError) failure = new CliError(error.message, EXIT.unavailable);
  else
    failure = new CliError(
      `internal error (${(error as Error)?.name ?? 'unknown'}): ${(error as Error)?.message}`,
      EXIT.internal,
    );
  if (ui.json) {
    const v = run?.current;
    ui.printJson({
      ...(v ? reportOf(v) : {}),
      exit_code: failure.exitCode,
      error: { message: failure.message },
    });
  } else {
    ui.error(failure.message);
  }
  return failure.exitCode;
}
