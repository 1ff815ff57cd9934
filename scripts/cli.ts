import { parseArgs, type ParseArgsConfig } from 'node:util';
/** What a command-line tool answers: text for standard output and standard error, and the exit code. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** A usage mistake: the message and the usage text go to standard error, with exit code 2. */
export class UsageError extends Error {}

/** Runs a command body, turning a UsageError into exit code 2 with the usage text. */
export async function runCommand(
  name: string,
  usage: string,
  body: () => Promise<Omit<CommandResult, 'code'>> | Omit<CommandResult, 'code'>,
): Promise<CommandResult> {
  try {
    return { ...(await body()), code: 0 };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return { stdout: '', stderr: `${name}: ${error.message}\n${usage}\n`, code: 2 };
  }
}

/** Prints a command's result (its remarks first, so they read before what they introduce) and exits with its code. */
export function finish(result: CommandResult): void {
  process.stderr.write(result.stderr);
  process.stdout.write(result.stdout, () => process.exit(result.code));
}

/** Parses a command's arguments (positionals allowed); an unknown or malformed option is a UsageError. */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, allowPositionals: true, options });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
