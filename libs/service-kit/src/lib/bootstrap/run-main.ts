/** The process entry of every app: no argument serves HTTP, a known command runs once and exits with its code. */
import { redactCredentials } from '../http/redact';

export interface MainOptions {
  name: string;
  /** Subcommands and their runners; each returns its exit code and never throws. */
  commands: Record<string, (args: readonly string[]) => Promise<number>>;
  serve: () => Promise<unknown>;
}

/**
 * Runs the command named by `argv[0]`, or the server when there is none. An unknown command, or a
 * server that fails to start (a bad setting is the usual cause), ends the process with code 1 and
 * one line naming the problem, not a stack.
 */
export function runMain(options: MainOptions, argv: readonly string[] = process.argv.slice(2)): void {
  const [command, ...args] = argv;
  const fail = (line: string): void => {
    process.stderr.write(`${redactCredentials(line)}\n`);
    process.exit(1);
  };
  if (command === undefined) {
    // Through a promise, so a setting refused synchronously (while building the module) ends the
    // same way as one refused during start-up.
    Promise.resolve()
      .then(() => options.serve())
      .catch((error: unknown) =>
        fail(`${options.name} failed to start: ${error instanceof Error ? error.message : String(error)}`),
      );
    return;
  }
  const run = Object.hasOwn(options.commands, command) ? options.commands[command] : undefined;
  if (run === undefined) {
    const known = Object.keys(options.commands).join(', ');
    fail(`${options.name}: unknown command '${command}' (commands: ${known}; none starts the server)`);
    return;
  }
  Promise.resolve()
    .then(() => run(args))
    .then(
      (code) => process.exit(code),
      (error: unknown) => fail(`${options.name} ${command}: ${error instanceof Error ? error.message : String(error)}`),
    );
}
