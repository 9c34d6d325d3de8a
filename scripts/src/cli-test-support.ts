// Runs a command-line script of this workspace as its own process, as an operator would, for the
// CLI tests.
import { execFile } from 'node:child_process';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx cliPath args` against the database at `mongodbUri`. */
export function runCliProcess(
  cliPath: string,
  mongodbUri: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', cliPath, ...args],
      { env: { ...process.env, MONGODB_URI: mongodbUri, LOG_LEVEL: 'info', ...env } },
      (error, stdout, stderr) => {
        let code = 0;
        // A process killed by a signal has no exit code: -1 fails every expected exit code.
        if (error) code = typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
