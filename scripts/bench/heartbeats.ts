// Heartbeat benchmark: starts a throwaway stack (PostgreSQL + FerretDB, sandbox, server), seeds
// learners with API tokens and open sessions of a one-hour video lesson, then replays one
// heartbeat per request with autocannon against `POST /api/learning/sessions/:id/heartbeats`.
// A bare Koa app that parses the same JSON body is the baseline measured in the same run. Checks
// that every response is 200, that every heartbeat was accepted and that every acknowledged
// heartbeat is stored, and exits 1 otherwise. Writes nothing outside its throwaway database.
//
//   node --import tsx scripts/bench/heartbeats.ts [--duration 20] [--connections 50] [--learners 20000]
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import autocannon from 'autocannon';
import Koa from 'koa';
import { pino } from 'pino';
import { connectDatabase, disconnectDatabase } from '@wxlearn/server/db/connection.js';
import { DEFAULT_CREDIT_RULES } from '@wxlearn/server/modules/learning/credit-rules.js';
import { HeartbeatModel } from '@wxlearn/server/modules/learning/heartbeat.model.js';
import { repoRoot } from '../src/db/paths.js';
import { startStack } from '../src/stack/stack.js';
import {
  countStored,
  HEARTBEAT_INTERVAL_MS,
  HeartbeatReplay,
  seedLearners,
  type SeededLearners,
} from './heartbeat-load.js';
import { positiveInteger, startChildService } from './setup.js';

const HEARTBEAT_ROUTE = '/api/learning/sessions/:id/heartbeats';
/** Age of the seeded sessions at the start of the run. */
const SESSION_AGE_MS = 3_600_000;

// Progress goes to stderr, so stdout carries only the Markdown report.
const logger = pino({ name: 'bench', level: 'info' }, pino.destination(2));

interface Options {
  duration: number;
  connections: number;
  learners: number;
}

interface TargetRun {
  name: string;
  result: autocannon.Result;
  replay: HeartbeatReplay;
}

function parseOptions(): Options & { serveBaseline: boolean } {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '20' },
      connections: { type: 'string', default: '50' },
      learners: { type: 'string', default: '20000' },
      // Set only by startBaseline for the child process that serves the baseline app.
      'serve-baseline': { type: 'boolean', default: false },
    },
  });
  const options = {
    duration: positiveInteger('--duration', values.duration),
    connections: positiveInteger('--connections', values.connections),
    learners: positiveInteger('--learners', values.learners),
    serveBaseline: values['serve-baseline'],
  };
  // Spare learners let the replay skip every learner whose previous heartbeat is unanswered.
  if (options.learners < 2 * options.connections) {
    throw new Error(
      `--learners ${options.learners} is too low for --connections ${options.connections}: ` +
        'use at least twice as many learners as connections',
    );
  }
  return options;
}

/**
 * Serves the baseline: one POST route on the heartbeat path that parses the JSON body with
 * @koa/bodyparser and returns `{ ok: true }`. Sends the port to the parent over IPC.
 */
async function serveBaseline(): Promise<void> {
  const app = new Koa();
  const router = new Router();
  router.post(HEARTBEAT_ROUTE, (ctx) => {
    if (typeof ctx.request.body !== 'object' || ctx.request.body === null) ctx.throw(400);
    ctx.body = { ok: true };
  });
  app.use(bodyParser({ enableTypes: ['json'] }));
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  process.send?.({ port: (server.address() as AddressInfo).port });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

/**
 * Starts the baseline app in a child process. The server under test runs in its own process too,
 * whereas an app inside this process would share one event loop with autocannon and measure the
 * load generator as much as Koa.
 */
async function startBaseline(): Promise<{ url: string; stop(): Promise<void> }> {
  const service = await startChildService<{ port: number }>({
    name: 'baseline app',
    script: fileURLToPath(import.meta.url),
    args: ['--serve-baseline'],
  });
  return { url: `http://127.0.0.1:${service.ready.port}`, stop: service.stop };
}

async function runTarget(
  name: string,
  url: string,
  learners: SeededLearners,
  options: Options,
  checkBody: boolean,
  after?: HeartbeatReplay,
): Promise<TargetRun> {
  const replay = new HeartbeatReplay(learners, checkBody, after);
  logger.info({ target: name, durationSeconds: options.duration }, 'load started');
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.duration,
    requests: [replay.request()],
  });
  return { name, result, replay };
}

/**
 * Sends each learner's first heartbeat, as every session sends one right after its start. This is
 * the path with cold caches (session, stored seqs), reported on its own row; the measured run then
 * replays the heartbeats that follow, as 20,000 learners online send them every 15 s.
 */
async function warmUp(url: string, learners: SeededLearners, options: Options): Promise<TargetRun> {
  const replay = new HeartbeatReplay(learners, true);
  logger.info({ learners: learners.count }, 'warm-up started');
  const result = await autocannon({
    url,
    connections: options.connections,
    amount: learners.count,
    requests: [replay.request()],
  });
  return { name: 'first heartbeat of each session (cold caches)', result, replay };
}

/**
 * Waits until the stored heartbeat count stops changing, because the server may still be
 * finishing requests whose connections autocannon closed at the end of the run.
 */
async function settledHeartbeatCount(): Promise<number> {
  let previous = await HeartbeatModel.countDocuments();
  for (let attempt = 0; attempt < 30; attempt++) {
    await sleep(1_000);
    const current = await HeartbeatModel.countDocuments();
    if (current === previous) return current;
    previous = current;
  }
  throw new Error(
    'timed out after 30 s waiting for the stored heartbeat count to settle: the server was ' +
      'still storing heartbeats of the run',
  );
}

interface StorageCheck {
  /** Heartbeat documents added by the server run. */
  stored: number;
  /** Heartbeats whose request got no response (timed out, or cut off when the run ended). */
  unanswered: number;
  /** Of those, the ones the server stored anyway. */
  unansweredStored: number;
}

/** Lists one message per failed condition of the run, and none when the run is valid. */
function findFailures(
  baseline: TargetRun,
  cold: TargetRun,
  server: TargetRun,
  storage: StorageCheck,
): string[] {
  const failures: string[] = [];
  for (const { name, result, replay } of [baseline, cold, server]) {
    if (result.errors > 0) {
      failures.push(
        `${name}: ${result.errors} request errors, ${result.timeouts} of them timeouts`,
      );
    }
    const { notOk, firstNotOk } = replay.tally;
    if (notOk.size > 0) {
      const byStatus = [...notOk].map(([status, count]) => `${count} × ${status}`).join(', ');
      failures.push(
        `${name}: responses not 200 (${byStatus}), the first with body ${firstNotOk?.body}`,
      );
    }
    if (replay.tally.overlapping > 0) {
      failures.push(
        `${name}: ${replay.tally.overlapping} requests sent while the learner's previous one ` +
          'was unanswered, so seqs may have arrived out of order',
      );
    }
  }

  const { tally } = server.replay;
  if (tally.malformed > 0) {
    failures.push(`${tally.malformed} responses were not a heartbeat batch response`);
  }
  for (const [reason, count] of tally.rejected) {
    failures.push(`${count} heartbeats rejected as ${reason}`);
  }
  // Seq k claims (k - 1) * 15 s since the first heartbeat, which the server's clock check allows
  // only up to the session's age.
  const maxClockSeq =
    Math.floor((SESSION_AGE_MS + DEFAULT_CREDIT_RULES.clockSkewMs) / HEARTBEAT_INTERVAL_MS) + 1;
  if (server.replay.maxSeqSent() > maxClockSeq) {
    failures.push(
      `learners reached seq ${server.replay.maxSeqSent()}, but the server's clock check allows ` +
        `about ${maxClockSeq} heartbeats per session in this run: raise --learners`,
    );
  }
  const expected = tally.ok + storage.unansweredStored;
  if (storage.stored !== expected) {
    failures.push(
      `${storage.stored} heartbeat documents stored, expected ${expected} ` +
        `(${tally.ok} acknowledged + ${storage.unansweredStored} unanswered but stored)`,
    );
  }
  return failures;
}

function formatReport(
  options: Options,
  loadAverage: number,
  seedSeconds: number,
  runs: TargetRun[],
  storage: StorageCheck,
): string {
  const rows = runs.map(({ name, result }) => {
    const failed = result.errors + result.non2xx;
    return (
      `| ${name} | ${result.requests.average.toFixed(0)} | ${result.latency.p50} | ` +
      `${result.latency.p99} | ${failed} |`
    );
  });
  const serverReplay = runs.at(-1)!.replay;
  const server = serverReplay.tally;
  const command = [
    path.basename(process.execPath),
    ...process.execArgv,
    path.relative(process.cwd(), process.argv[1]!),
    ...process.argv.slice(2),
  ].join(' ');
  const cpus = os.cpus();
  return [
    `Heartbeat benchmark: ${options.connections} connections, ${options.duration} s per target, ` +
      `${options.learners} learners, one heartbeat per request`,
    `Machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, ` +
      `Node.js ${process.version}, 1-minute load average ${loadAverage.toFixed(1)} before the run`,
    `Command: \`${command}\``,
    `Seeding: ${options.learners} learners with tokens and open sessions in ${seedSeconds.toFixed(1)} s`,
    '',
    '| target | requests/s (= heartbeats/s) | p50 ms | p99 ms | errors + non-2xx |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Heartbeat documents stored: ${storage.stored} (200 responses: ${server.ok}, ` +
      `heartbeat in acceptedSeqs: ${server.accepted}; unanswered at the end: ` +
      `${storage.unanswered}, of which stored: ${storage.unansweredStored})`,
    `Heartbeats per learner: at most ${serverReplay.maxSeqSent()}, ` +
      `${serverReplay.learnersReached()} of ${options.learners} learners sent at least one`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.serveBaseline) return serveBaseline();
  if (process.env.MONGODB_URI) {
    throw new Error(
      'MONGODB_URI is set: unset it, because this benchmark seeds learners and must run on ' +
        'its own throwaway database',
    );
  }

  // Other processes on the machine skew both targets, so the report shows how busy it was.
  const loadAverage = os.loadavg()[0] ?? 0;
  const stack = await startStack({
    logger,
    port: 0,
    sandboxPort: 0,
    databaseName: 'bench-heartbeats',
    ephemeral: true,
    dataDir: path.resolve(repoRoot, process.env.DATA_DIR ?? '../shared/data'),
    // The heartbeat path reads no roster, so a small one keeps the start-up import short.
    employees: 100,
    quiet: true,
  });
  let baseline: Awaited<ReturnType<typeof startBaseline>> | undefined;
  try {
    await connectDatabase(stack.mongodbUri, logger);
    const seedStart = performance.now();
    const learners = await seedLearners(options.learners, new Date(Date.now() - SESSION_AGE_MS));
    const seedSeconds = (performance.now() - seedStart) / 1000;
    logger.info({ learners: options.learners, seedSeconds }, 'learners seeded');

    baseline = await startBaseline();
    const baselineRun = await runTarget(
      'bare Koa 3 + @koa/bodyparser (baseline)',
      baseline.url,
      learners,
      options,
      false,
    );
    await baseline.stop();

    const coldRun = await warmUp(stack.url, learners, options);
    const storedBefore = await settledHeartbeatCount();
    const serverRun = await runTarget(
      `POST ${HEARTBEAT_ROUTE}`,
      stack.url,
      learners,
      options,
      true,
      coldRun.replay,
    );
    const storedAfter = await settledHeartbeatCount();
    const unanswered = serverRun.replay.unanswered();
    const storage: StorageCheck = {
      stored: storedAfter - storedBefore,
      unanswered: unanswered.length,
      unansweredStored: await countStored(unanswered),
    };

    process.stdout.write(
      formatReport(options, loadAverage, seedSeconds, [baselineRun, coldRun, serverRun], storage),
    );
    const failures = findFailures(baselineRun, coldRun, serverRun, storage);
    if (failures.length > 0) {
      logger.error({ failures }, 'benchmark run is invalid');
      process.exitCode = 1;
    }
  } finally {
    await baseline?.stop();
    await disconnectDatabase();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  logger.error({ err: error }, 'benchmark failed');
  process.exit(1);
});
