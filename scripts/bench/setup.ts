// Setup shared by the benchmarks: option parsing, services run in child processes, and the
// generated organisation of the recommendation benchmarks.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { generateWorld, type GeneratedWorld } from '../src/recommendations/generated-dataset.js';

/** Parses a command-line option that must be a positive integer, or throws naming the option. */
export function positiveInteger(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) {
    throw new Error(`invalid ${name} ${JSON.stringify(value)}: expected a positive integer`);
  }
  return number;
}

/** A service running in a child process. */
export interface ChildService<T> {
  /** The first IPC message of the child, which it sends once it serves. */
  ready: T;
  /** Sends SIGTERM and waits for the child to exit, unless it has exited already. */
  stop(): Promise<void>;
}

/**
 * Forks `script` under tsx with `args` and extra Node flags, and waits for the child's first IPC
 * message. Rejects with "the <name> exited during start-up" when the child exits before sending
 * one.
 */
export async function startChildService<T>(options: {
  name: string;
  script: string;
  args: string[];
  nodeFlags?: string[];
}): Promise<ChildService<T>> {
  const child = fork(options.script, options.args, {
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const [ready] = (await Promise.race([
    once(child, 'message'),
    exited.then(() => {
      throw new Error(`the ${options.name} exited during start-up`);
    }),
  ])) as [T];
  return {
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Generates the organisation of the recommendation benchmarks, with courses drawn from the
 * cs-self-learning catalog under `dataDir`.
 */
export function generateBenchWorld(options: {
  learners: number;
  courses: number;
  dataDir: string;
}): Promise<GeneratedWorld> {
  return generateWorld({
    learners: options.learners,
    courses: options.courses,
    coursesDirectory: path.join(options.dataDir, 'cs-self-learning-catalog-zh', 'courses'),
  });
}
