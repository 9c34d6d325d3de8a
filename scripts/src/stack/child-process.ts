import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';

export interface ManagedChild {
  process: ChildProcess;
  /** Resolves with the exit code once the child has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts a child whose output is passed through line by line with a prefix, and which is stopped
 * with SIGTERM (then SIGKILL after a grace period) when the parent stops it.
 */
export function startChild(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logger: Logger; quiet?: boolean },
): ManagedChild {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      if (options.quiet) return;
      for (const line of chunk.split('\n')) if (line) process.stdout.write(`[${name}] ${line}\n`);
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  exited.then((code) => options.logger.info({ child: name, code }, 'child exited'));

  return {
    process: child,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a command to completion and rejects when it exits non-zero. */
export async function runToCompletion(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; logger: Logger; quiet?: boolean },
): Promise<void> {
  const child = startChild(name, command, args, options);
  const code = await child.exited;
  if (code !== 0)
    throw new Error(`${name} failed with exit code ${code}: see the [${name}] lines above`);
}
