/** The executable: runs the CLI with this process's arguments and ends with its exit code. */
import { main } from './main';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    // Idle keep-alive sockets must not hold the exit back.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (error: unknown) => {
    process.stderr.write(`error: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  },
);
