// Recommendation batch benchmark. Generates an organisation: by default 600,000 learners bound to
// employees of the reference org shape, 7,000 courses and about 3 enrolments each. Seeds it into a
// throwaway PostgreSQL + FerretDB, then times `recommendForAllLearners` over all of it in a fresh
// child process: learners/s, model build time, total time and peak RSS. A second child runs the
// same model build and scoring from in-memory inputs, to separate FerretDB's read speed from the
// recommender's own cost. Prints a Markdown report on stdout, progress on stderr.
//
//   node --import tsx scripts/bench/recommendations.ts [--learners 600000] [--courses 7000]
//     [--data ../shared/data] [--skip-database]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import {
  connectDatabase,
  disconnectDatabase,
  ensureIndexes,
} from '@wxlearn/server/db/connection.js';
import { recommendForAllLearners } from '@wxlearn/server/modules/recommendations/batch.js';
import { buildModelFromDatabase } from '@wxlearn/server/modules/recommendations/model-from-database.js';
import { estimateModelBytes } from '@wxlearn/server/modules/recommendations/recommendation-model.js';
import { Recommender } from '@wxlearn/server/modules/recommendations/recommender.js';
import '@wxlearn/server/modules/catalog/catalog-revision.model.js';
import '@wxlearn/server/modules/org/org-unit.model.js';
import { startLocalDatabase } from '../src/db/local-database.js';
import { repoRoot } from '../src/db/paths.js';
import { buildDatasetModel, datasetContext } from '../src/recommendations/dataset.js';
import { worldDataset } from '../src/recommendations/generated-dataset.js';
import { seedWorld, type SeedTiming } from './recommendation-seed.js';
import { generateBenchWorld, positiveInteger } from './setup.js';

const logger = pino({ name: 'bench', level: 'info' }, pino.destination(2));
const MIB = 2 ** 20;

interface Options {
  learners: number;
  courses: number;
  dataDir: string;
  database: boolean;
  phase: 'main' | 'batch' | 'model-size' | 'memory';
  uri?: string;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      learners: { type: 'string', default: '600000' },
      courses: { type: 'string', default: '7000' },
      data: { type: 'string', default: process.env.DATA_DIR ?? '../shared/data' },
      'skip-database': { type: 'boolean', default: false },
      // Set only by runChild for the measured child processes.
      phase: { type: 'string', default: 'main' },
      uri: { type: 'string' },
    },
  });
  const phase = values.phase as Options['phase'];
  if (!['main', 'batch', 'model-size', 'memory'].includes(phase)) {
    throw new Error(`invalid --phase ${values.phase}`);
  }
  return {
    learners: positiveInteger('--learners', values.learners),
    courses: positiveInteger('--courses', values.courses),
    dataDir: path.resolve(repoRoot, values.data),
    database: !values['skip-database'],
    phase,
    uri: values.uri,
  };
}

/** Peak resident set size of this process so far, from Linux's VmHWM, in bytes. */
function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
}

interface BatchResult {
  learners: number;
  modelSeconds: number;
  passSeconds: number;
  totalSeconds: number;
  peakRssMiB: number;
  picks: number;
  kinds: Record<string, number>;
  learnersWithoutFivePicks: number;
  sample: { learnerId: string; picks: { reason: string; kind: string }[] } | null;
}

/** Child phase: the batch over the seeded database, exactly as the push would run it. */
async function runBatch(options: Options, now: Date): Promise<BatchResult> {
  await connectDatabase(options.uri!, logger);
  const started = performance.now();
  let modelSeconds = 0;
  let learners = 0;
  let picks = 0;
  let short = 0;
  const kinds: Record<string, number> = {};
  let sample: BatchResult['sample'] = null;

  for await (const result of recommendForAllLearners({
    logger,
    now,
    onModelBuilt: () => {
      modelSeconds = (performance.now() - started) / 1000;
    },
  })) {
    learners++;
    picks += result.picks.length;
    if (result.picks.length < 5) short++;
    for (const pick of result.picks) kinds[pick.kind] = (kinds[pick.kind] ?? 0) + 1;
    if (learners === 1000) {
      sample = {
        learnerId: result.learnerId,
        picks: result.picks.map(({ reason, kind }) => ({ reason, kind })),
      };
    }
    if (learners % 100_000 === 0) {
      logger.info({ learners, seconds: (performance.now() - started) / 1000 }, 'batch progress');
    }
  }
  const totalSeconds = (performance.now() - started) / 1000;
  await disconnectDatabase();

  return {
    learners,
    modelSeconds,
    passSeconds: totalSeconds - modelSeconds,
    totalSeconds,
    peakRssMiB: peakRss() / MIB,
    picks,
    kinds,
    learnersWithoutFivePicks: short,
    sample,
  };
}

/** Child phase: heap taken by the model that each server copy caches for the API. */
async function runModelSize(options: Options, now: Date) {
  await connectDatabase(options.uri!, logger);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const started = performance.now();
  const { model } = await buildModelFromDatabase({ now, logger });
  const seconds = (performance.now() - started) / 1000;
  // Closed cursors and finished promises release their buffers only after a turn or two.
  await sleep(1000);
  gc?.();
  gc?.();
  const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const result = {
    seconds,
    retainedMiB: (after - before) / MIB,
    typedArraysAndStringsMiB: estimateModelBytes(model) / MIB,
    measuredWithGc: gc !== undefined,
    peakRssMiB: peakRss() / MIB,
  };
  await disconnectDatabase();
  return result;
}

/** Child phase: the same model build and scoring from in-memory generated inputs. */
async function runInMemory(options: Options) {
  const started = performance.now();
  const world = await generateBenchWorld(options);
  const dataset = worldDataset(world);
  const generateSeconds = (performance.now() - started) / 1000;

  const buildStarted = performance.now();
  const { model, groups } = buildDatasetModel(dataset);
  const modelSeconds = (performance.now() - buildStarted) / 1000;

  const scoreStarted = performance.now();
  const recommender = new Recommender(model);
  let picks = 0;
  for (let learner = 0; learner < dataset.learners.count; learner++) {
    const context = datasetContext(dataset, model, groups, learner, null);
    picks += recommender.recommend(context, { limit: 5 }).length;
  }
  const scoreSeconds = (performance.now() - scoreStarted) / 1000;
  return {
    learners: dataset.learners.count,
    enrolments: dataset.learners.course.length,
    generateSeconds,
    modelSeconds,
    scoreSeconds,
    picks,
    peakRssMiB: peakRss() / MIB,
  };
}

/** Runs one phase in a fresh Node process, so its peak RSS is its own, and returns its result. */
async function runChild<T>(options: Options, phase: Options['phase'], uri?: string): Promise<T> {
  const args = [
    '--phase',
    phase,
    '--learners',
    String(options.learners),
    '--courses',
    String(options.courses),
    '--data',
    options.dataDir,
    ...(uri ? ['--uri', uri] : []),
  ];
  const child = fork(fileURLToPath(import.meta.url), args, {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let result: T | undefined;
  child.on('message', (message) => {
    result = message as T;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0 || result === undefined) throw new Error(`the ${phase} phase exited with ${code}`);
  return result;
}

function seedReport(seed: SeedTiming): string[] {
  const { counts, seconds } = seed;
  const learnerDocuments =
    counts.learners +
    counts.employees +
    counts.bindings +
    counts.enrolments +
    counts.completions +
    counts.lessonProgress;
  return [
    `Seeding through FerretDB (insertMany chunks of 1,000, up to 6 at once): org units ` +
      `${counts.units.toLocaleString('en')} in ${seconds.org.toFixed(1)} s; courses ` +
      `${counts.courses.toLocaleString('en')} with ${counts.lessons.toLocaleString('en')} lessons ` +
      `and ${counts.assignments} assignments in ${seconds.courses.toFixed(1)} s; learners, ` +
      `employees, bindings, ${counts.enrolments.toLocaleString('en')} enrolments, ` +
      `${counts.completions.toLocaleString('en')} completions and ` +
      `${counts.lessonProgress.toLocaleString('en')} lesson progress records ` +
      `(${learnerDocuments.toLocaleString('en')} documents) in ${seconds.learners.toFixed(0)} s, ` +
      `${Math.round(learnerDocuments / seconds.learners).toLocaleString('en')} documents/s.`,
  ];
}

async function main(): Promise<void> {
  const options = parseOptions();
  const now = new Date('2026-12-01T00:00:00Z');
  if (options.phase !== 'main') {
    const result =
      options.phase === 'batch'
        ? await runBatch(options, now)
        : options.phase === 'model-size'
          ? await runModelSize(options, now)
          : await runInMemory(options);
    process.send?.(result);
    return;
  }
  if (process.env.MONGODB_URI) {
    throw new Error(
      'MONGODB_URI is set: unset it, because this benchmark seeds its own throwaway database',
    );
  }

  const cpus = os.cpus();
  const loadAverage = os.loadavg()[0] ?? 0;
  const lines = [
    `## Recommendation batch: ${options.learners.toLocaleString('en')} learners × ` +
      `${options.courses.toLocaleString('en')} courses`,
    '',
    `Machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node.js ${process.version}, ` +
      `1-minute load average ${loadAverage.toFixed(1)} before the run. Command: ` +
      `\`node --import tsx scripts/bench/recommendations.ts ${process.argv.slice(2).join(' ')}\``,
    '',
  ];

  if (options.database) {
    const database = await startLocalDatabase({ name: 'bench-recommendations', ephemeral: true });
    try {
      await connectDatabase(database.uri, logger);
      await ensureIndexes(logger);
      const world = await generateBenchWorld(options);
      const seed = await seedWorld(world, logger);
      await disconnectDatabase();
      lines.push(...seedReport(seed), '');

      logger.info('batch over the database started');
      const batch = await runChild<BatchResult>(options, 'batch', database.uri);
      logger.info('cached-model size measurement started');
      const size = await runChild<Awaited<ReturnType<typeof runModelSize>>>(
        options,
        'model-size',
        database.uri,
      );
      lines.push(
        '### From the database (FerretDB v1.24 on PostgreSQL 15)',
        '',
        '| measure | value |',
        '| --- | --- |',
        `| learners yielded | ${batch.learners.toLocaleString('en')} |`,
        `| model build (reads every collection once) | ${batch.modelSeconds.toFixed(1)} s |`,
        `| learner pass (learner cursor, progress cursor, scoring) | ${batch.passSeconds.toFixed(1)} s |`,
        `| total | ${batch.totalSeconds.toFixed(1)} s (${(batch.totalSeconds / 60).toFixed(1)} min) |`,
        `| learners/s over the total | ${Math.round(batch.learners / batch.totalSeconds).toLocaleString('en')} |`,
        `| peak RSS of the batch process | ${batch.peakRssMiB.toFixed(0)} MiB |`,
        `| learners with fewer than 5 picks | ${batch.learnersWithoutFivePicks.toLocaleString('en')} |`,
        `| picks by kind | ${Object.entries(batch.kinds)
          .map(([kind, count]) => `${kind} ${count.toLocaleString('en')}`)
          .join(', ')} |`,
        `| cached API model: build time | ${size.seconds.toFixed(1)} s |`,
        `| cached API model: heap retained | ${size.retainedMiB.toFixed(1)} MiB (typed arrays and strings: ${size.typedArraysAndStringsMiB.toFixed(1)} MiB) |`,
        `| cached API model: peak RSS of its build | ${size.peakRssMiB.toFixed(0)} MiB |`,
        '',
        `Sample (learner ${batch.sample?.learnerId}): ` +
          (batch.sample?.picks.map((pick) => `${pick.reason} (${pick.kind})`).join('; ') ?? 'none'),
        '',
      );
    } finally {
      await disconnectDatabase();
      await database.stop();
    }
  }

  logger.info('in-memory batch started');
  const memory = await runChild<Awaited<ReturnType<typeof runInMemory>>>(options, 'memory');
  lines.push(
    '### From in-memory inputs (no database)',
    '',
    '| measure | value |',
    '| --- | --- |',
    `| generate ${memory.learners.toLocaleString('en')} learners, ${memory.enrolments.toLocaleString('en')} enrolments | ${memory.generateSeconds.toFixed(1)} s |`,
    `| model build | ${memory.modelSeconds.toFixed(1)} s |`,
    `| scoring all learners (5 picks each) | ${memory.scoreSeconds.toFixed(1)} s, ${Math.round(memory.learners / memory.scoreSeconds).toLocaleString('en')} learners/s |`,
    `| peak RSS (includes the generated inputs) | ${memory.peakRssMiB.toFixed(0)} MiB |`,
    '',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  logger.error({ err: error }, 'benchmark failed');
  process.exit(1);
});
