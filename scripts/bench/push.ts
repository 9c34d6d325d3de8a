// Weekly-push benchmark: starts a throwaway PostgreSQL + FerretDB (unless MONGODB_URI is set) and
// a WeChat sandbox in a child process, and seeds generated learners, followers of the official
// account for a share of them and subscription grants for another share. A fresh child process
// then runs one weekly push through the scheduler, as a server copy would. The report gives
// messages per second and that process's peak resident set size, sampled every 100 ms and read
// from the kernel's high-water mark. The run fails with exit code 1 unless every learner got
// exactly one message. Writes nothing outside its throwaway database.
//
//   node --import tsx scripts/bench/push.ts [--learners 600000] [--follower-share 0.7]
//     [--grant-share 0.1] [--rate 5000] [--concurrency 100] [--latency-ms 0]
//     [--batch-size 500] [--batches-in-flight 4] [--max-old-space-mb N] [--cpu-profile-dir DIR]
//     [--picks popular|recommender] [--courses 7000] [--data ../shared/data]
//
// --max-old-space-mb runs the push process with that V8 old-space limit; without it, Node's
// default applies. --cpu-profile-dir writes a V8 CPU profile of the push process into DIR.
//
// --picks popular (the default) seeds bare learners and five courses and picks with
// PopularCoursePicks, so the run measures sending. --picks recommender seeds the generated
// organisation of scripts/bench/recommendations.ts: org units, employees, bindings, --courses
// courses from the catalog under --data, enrolments and completions. It picks with
// RecommendationBatch.lazyPickSource, as the scheduled push does, so the push process builds the
// recommendation model before it sends. The report gives the build time apart from sending.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Types } from 'mongoose';
import { pino } from 'pino';
import {
  connectDatabase,
  disconnectDatabase,
  ensureIndexes,
} from '@wxlearn/server/db/connection.js';
import { CourseModel } from '@wxlearn/server/modules/catalog/course.model.js';
import '@wxlearn/server/modules/catalog/enrolment.model.js';
import '@wxlearn/server/jobs/claim.model.js';
import { LearnerModel } from '@wxlearn/server/modules/learners/learner.model.js';
import { FollowerModel } from '@wxlearn/server/modules/official-account/follower.model.js';
import '@wxlearn/server/modules/push/models.js';
import { PopularCoursePicks, type PickSource } from '@wxlearn/server/modules/push/picks.js';
import { PushRunner, type PushRunReport } from '@wxlearn/server/modules/push/runner.js';
import { PushScheduler } from '@wxlearn/server/modules/push/scheduler.js';
import { SubscriptionGrantModel } from '@wxlearn/server/modules/push/subscription-grant.model.js';
import { AccessTokenStore } from '@wxlearn/server/wechat/access-token-store.js';
import { WechatClient } from '@wxlearn/server/wechat/api-client.js';
import { RecommendationBatch } from '@wxlearn/server/modules/recommendations/batch.js';
import '@wxlearn/server/modules/catalog/catalog-revision.model.js';
import '@wxlearn/server/modules/org/org-unit.model.js';
import {
  PushMessageClient,
  type SubscribeMessage,
  type TemplateMessage,
} from '@wxlearn/server/wechat/push-messages.js';
import { startLocalDatabase } from '../src/db/local-database.js';
import { repoRoot } from '../src/db/paths.js';
import { createSandbox } from '../src/sandbox/app.js';
import { seedWorld } from './recommendation-seed.js';
import { generateBenchWorld, positiveInteger, startChildService } from './setup.js';

const APP = { appId: 'wxbenchapp0000001', appSecret: 'bench-app-secret-0123456789abcdef' };
const OFFICIAL_ACCOUNT = {
  appId: 'wxbenchoa00000001',
  appSecret: 'bench-oa-secret-0123456789abcdef',
};
const TEMPLATE_ID = 'benchWeeklyTemplate';
const SUBSCRIBE_TEMPLATE_ID = 'benchWeeklySubscribe';
const SEED_CHUNK = 5_000;
/** Openids per sandbox control request; the sandbox reads bodies up to 1 MiB. */
const SANDBOX_CHUNK = 5_000;

// Progress goes to stderr, so stdout carries only the Markdown report.
const logger = pino({ name: 'bench', level: 'info' }, pino.destination(2));

interface Options {
  learners: number;
  followerShare: number;
  grantShare: number;
  rate: number;
  concurrency: number;
  latencyMs: number;
  batchSize: number;
  batchesInFlight: number;
  maxOldSpaceMb: number | undefined;
  cpuProfileDir: string | undefined;
  picks: 'popular' | 'recommender';
  /** Courses of the generated organisation; used with --picks recommender only. */
  courses: number;
  dataDir: string;
}

function parseOptions(): Options & { serveSandbox: boolean; runPush: string | undefined } {
  const { values } = parseArgs({
    options: {
      learners: { type: 'string', default: '600000' },
      'follower-share': { type: 'string', default: '0.7' },
      'grant-share': { type: 'string', default: '0.1' },
      rate: { type: 'string', default: '5000' },
      concurrency: { type: 'string', default: '100' },
      'latency-ms': { type: 'string', default: '0' },
      'batch-size': { type: 'string', default: '500' },
      'batches-in-flight': { type: 'string', default: '4' },
      'max-old-space-mb': { type: 'string' },
      'cpu-profile-dir': { type: 'string' },
      picks: { type: 'string', default: 'popular' },
      courses: { type: 'string', default: '7000' },
      data: { type: 'string', default: process.env.DATA_DIR ?? '../shared/data' },
      // Set only for the child processes that serve the sandbox and run the push.
      'serve-sandbox': { type: 'boolean', default: false },
      'run-push': { type: 'string' },
    },
  });
  const followerShare = share('--follower-share', values['follower-share']);
  const grantShare = share('--grant-share', values['grant-share']);
  if (followerShare + grantShare > 1) {
    throw new Error('--follower-share and --grant-share add up to more than 1: lower one of them');
  }
  const picks = values.picks;
  if (picks !== 'popular' && picks !== 'recommender') {
    throw new Error(`invalid --picks ${JSON.stringify(picks)}: expected popular or recommender`);
  }
  return {
    learners: positiveInteger('--learners', values.learners),
    followerShare,
    grantShare,
    rate: positiveInteger('--rate', values.rate),
    concurrency: positiveInteger('--concurrency', values.concurrency),
    latencyMs: nonNegativeInteger('--latency-ms', values['latency-ms']),
    batchSize: positiveInteger('--batch-size', values['batch-size']),
    batchesInFlight: positiveInteger('--batches-in-flight', values['batches-in-flight']),
    maxOldSpaceMb:
      values['max-old-space-mb'] === undefined
        ? undefined
        : positiveInteger('--max-old-space-mb', values['max-old-space-mb']),
    cpuProfileDir: values['cpu-profile-dir'],
    picks,
    courses: positiveInteger('--courses', values.courses),
    dataDir: path.resolve(repoRoot, values.data),
    serveSandbox: values['serve-sandbox'],
    runPush: values['run-push'],
  };
}

function nonNegativeInteger(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new Error(`invalid ${name} ${JSON.stringify(value)}: expected an integer of 0 or more`);
  }
  return number;
}

function share(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || number > 1) {
    throw new Error(`invalid ${name} ${JSON.stringify(value)}: expected a number from 0 to 1`);
  }
  return number;
}

/** Serves the sandbox with both apps and sends its port to the parent over IPC. */
async function serveSandbox(): Promise<void> {
  const sandbox = createSandbox({ ...APP, otherApps: [OFFICIAL_ACCOUNT] });
  const running = await sandbox.listen(0, '127.0.0.1');
  process.send?.({ url: running.url });
  process.once('SIGTERM', () => void running.close().then(() => process.exit(0)));
}

/**
 * Starts the sandbox in a child process, so its request handling and its record of 600,000
 * messages use neither the event loop nor the memory that the benchmark measures.
 */
async function startSandbox(): Promise<{ url: string; stop(): Promise<void> }> {
  const service = await startChildService<{ url: string }>({
    name: 'sandbox',
    script: fileURLToPath(import.meta.url),
    args: ['--serve-sandbox'],
    nodeFlags: ['--max-old-space-size=4096'],
  });
  return { url: service.ready.url, stop: service.stop };
}

async function sandboxPost(url: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(new URL(path, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    throw new Error(`sandbox ${path} returned HTTP ${response.status}: ${await response.text()}`);
  }
}

interface SeedCounts {
  followers: number;
  grants: number;
}

/** A seeded learner: its id, mini-program openid and position in the seeding order. */
interface SeededLearner {
  learnerId: Types.ObjectId;
  openid: string;
  index: number;
}

/**
 * Gives a chunk of seeded learners their channels: learner i follows the account when i mod 100
 * falls in the first follower share of each hundred, and has one subscription grant when it falls
 * in the next grant share. Followers and grants are registered in the sandbox too, as WeChat would
 * hold them.
 */
async function seedAudience(
  learners: readonly SeededLearner[],
  options: Options,
  sandboxUrl: string,
  counts: SeedCounts,
  now: Date,
): Promise<void> {
  const followerCut = Math.round(options.followerShare * 100);
  const grantCut = followerCut + Math.round(options.grantShare * 100);
  const followers = [];
  const grants = [];
  for (const { learnerId, openid, index } of learners) {
    const bucket = index % 100;
    if (bucket < followerCut) {
      followers.push({
        openid: `oBenchOa${String(index).padStart(9, '0')}`,
        unionid: null,
        following: true,
        subscribedAt: now,
        unsubscribedAt: null,
        followStateAt: now,
        profileCheckedAt: null,
        learnerId,
        joinedBy: 'unionid',
        joinedAt: now,
        createdAt: now,
        updatedAt: now,
      });
    } else if (bucket < grantCut) {
      grants.push({
        learnerId,
        openid,
        templateId: SUBSCRIBE_TEMPLATE_ID,
        requestId: `bench-${index}`,
        grantedAt: now,
      });
    }
  }
  if (followers.length > 0) {
    await FollowerModel.insertMany(followers, { lean: true });
    await sandboxPost(sandboxUrl, '/sandbox/push/followers', {
      appId: OFFICIAL_ACCOUNT.appId,
      openids: followers.map((follower) => follower.openid),
    });
  }
  if (grants.length > 0) {
    await SubscriptionGrantModel.insertMany(
      grants.map(({ openid: _openid, ...grant }) => grant),
      { lean: true },
    );
    for (let offset = 0; offset < grants.length; offset += SANDBOX_CHUNK) {
      await sandboxPost(sandboxUrl, '/sandbox/push/subscriptions', {
        grants: grants
          .slice(offset, offset + SANDBOX_CHUNK)
          .map((grant) => ({ openid: grant.openid, templateId: SUBSCRIBE_TEMPLATE_ID })),
      });
    }
  }
  counts.followers += followers.length;
  counts.grants += grants.length;
}

/** Inserts five courses and bare learners in chunks, each chunk with its followers and grants. */
async function seedPopular(options: Options, sandboxUrl: string): Promise<SeedCounts> {
  const now = new Date();
  const counts: SeedCounts = { followers: 0, grants: 0 };
  const titles = ['数据库系统概论', '操作系统原理', '计算机网络', '数据结构与算法', '机器学习导论'];
  for (const [index, title] of titles.entries()) {
    await CourseModel.create({
      code: `BENCH-${index}`,
      title,
      category: '基准测试',
      published: true,
    });
  }

  for (let start = 0; start < options.learners; start += SEED_CHUNK) {
    const end = Math.min(options.learners, start + SEED_CHUNK);
    const learners = [];
    const chunk: SeededLearner[] = [];
    for (let index = start; index < end; index++) {
      const learnerId = new Types.ObjectId();
      const openid = `oBenchMp${String(index).padStart(9, '0')}`;
      learners.push({
        _id: learnerId,
        openid,
        unionid: null,
        nickname: null,
        lastLoginAt: now,
        createdAt: now,
        updatedAt: now,
      });
      chunk.push({ learnerId, openid, index });
    }
    await LearnerModel.insertMany(learners, { lean: true });
    await seedAudience(chunk, options, sandboxUrl, counts, now);
    if (end % 100_000 === 0 || end === options.learners) {
      logger.info({ learners: end, ...counts }, 'seeded');
    }
  }
  return counts;
}

/**
 * Seeds the generated organisation of the recommendation benchmark, then gives its learners
 * followers and grants in chunks. Returns the counts and the organisation's fixed "now", as of
 * which the recommender must build its model.
 */
async function seedRecommenderWorld(
  options: Options,
  sandboxUrl: string,
): Promise<SeedCounts & { modelNow: Date }> {
  const world = await generateBenchWorld(options);
  const seeded: SeededLearner[] = [];
  const timing = await seedWorld(world, logger, ({ learnerId, openid }) => {
    seeded.push({ learnerId, openid, index: seeded.length });
  });
  logger.info({ ...timing.counts, seconds: timing.seconds }, 'organisation seeded');
  const counts: SeedCounts = { followers: 0, grants: 0 };
  const now = new Date();
  for (let start = 0; start < seeded.length; start += SEED_CHUNK) {
    await seedAudience(seeded.slice(start, start + SEED_CHUNK), options, sandboxUrl, counts, now);
  }
  logger.info(counts, 'followers and grants seeded');
  return { ...counts, modelNow: world.now };
}

/** Peak resident set size of this process so far, from Linux's VmHWM, in bytes. */
function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
}

/** How long a pick source's prepare took, and the process's peak RSS when it ended. */
interface PrepareTiming {
  ms: number;
  peakRss: number;
}

/** Wraps a pick source to time its prepare, which builds the recommender's model. */
function timedPickSource(source: PickSource, timing: PrepareTiming): PickSource {
  return {
    async prepare() {
      const started = performance.now();
      await source.prepare?.();
      timing.ms = performance.now() - started;
      timing.peakRss = peakRss();
    },
    picksFor: (learnerIds) => source.picksFor(learnerIds),
  };
}

/** Samples this process's memory every 100 ms and keeps the peaks. */
function sampleMemory() {
  const peak = { rss: 0, heapUsed: 0 };
  const sample = () => {
    const usage = process.memoryUsage();
    peak.rss = Math.max(peak.rss, usage.rss);
    peak.heapUsed = Math.max(peak.heapUsed, usage.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    peak,
    stop() {
      clearInterval(timer);
      sample();
    },
  };
}

/** Wraps the message client to time the first and the last WeChat call of the run. */
function timedClient(client: PushMessageClient) {
  const calls = { first: 0, last: 0, count: 0 };
  const track = async <T>(send: () => Promise<T>): Promise<T> => {
    const at = performance.now();
    if (calls.first === 0) calls.first = at;
    try {
      return await send();
    } finally {
      calls.last = performance.now();
      calls.count += 1;
    }
  };
  return {
    calls,
    client: {
      sendTemplate: (message: TemplateMessage) => track(() => client.sendTemplate(message)),
      sendSubscribe: (message: SubscribeMessage) => track(() => client.sendSubscribe(message)),
    },
  };
}

interface SandboxSummary {
  template: { accepted: number; recipients: number; maxPerRecipient: number };
  subscribe: { accepted: number; recipients: number; maxPerRecipient: number };
}

function formatBytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function formatReport(
  options: Options,
  seeded: SeedCounts,
  pushRun: PushRunResult,
  report: PushRunReport,
  summary: SandboxSummary,
  loadAverage: number,
): string {
  const { runMs, calls, peak, before, prepare } = pushRun;
  const { counts } = report;
  const wechatMessages = counts.sentByChannel.template + counts.sentByChannel.subscription;
  const sendMs = calls.last - calls.first;
  const cpus = os.cpus();
  const command =
    `node --import tsx scripts/bench/push.ts --learners ${options.learners} ` +
    `--follower-share ${options.followerShare} --grant-share ${options.grantShare} ` +
    `--rate ${options.rate} --concurrency ${options.concurrency} ` +
    `--latency-ms ${options.latencyMs} --batch-size ${options.batchSize} ` +
    `--batches-in-flight ${options.batchesInFlight}` +
    (options.maxOldSpaceMb === undefined ? '' : ` --max-old-space-mb ${options.maxOldSpaceMb}`) +
    (options.picks === 'popular'
      ? ''
      : ` --picks ${options.picks} --courses ${options.courses} --data ${options.dataDir}`);
  const recommenderRows =
    options.picks === 'popular'
      ? []
      : [
          ['recommendation model build (prepare of the pick source)', seconds(prepare.ms)],
          ['sending, from the end of the model build to the report', seconds(runMs - prepare.ms)],
          [
            'peak RSS of the push process by the end of the model build',
            formatBytes(prepare.peakRss),
          ],
        ];
  const rows = [
    ['pick source', options.picks],
    ['learners', options.learners.toLocaleString('en-US')],
    ['followers (template messages)', seeded.followers.toLocaleString('en-US')],
    ['learners with a grant (subscription messages)', seeded.grants.toLocaleString('en-US')],
    [
      'messages sent: template / subscription / in-app',
      `${counts.sentByChannel.template} / ${counts.sentByChannel.subscription} / ${counts.sentByChannel.in_app}`,
    ],
    [
      'failed / skipped / unconfirmed',
      `${Object.values(counts.failed).reduce((a, b) => a + b, 0)} / ` +
        `${Object.values(counts.skipped).reduce((a, b) => a + b, 0)} / ${counts.unconfirmed}`,
    ],
    ['run time, claim to report', seconds(runMs)],
    ...recommenderRows,
    [
      'messages per second, whole run (all channels)',
      `${Math.round((counts.sent * 1000) / runMs)}`,
    ],
    ['WeChat calls per second, first to last call', `${Math.round((calls.count * 1000) / sendMs)}`],
    ['WeChat messages per second, whole run', `${Math.round((wechatMessages * 1000) / runMs)}`],
    ['peak RSS of the push process, sampled every 100 ms', formatBytes(peak.rss)],
    ['peak RSS of the push process, kernel high-water mark (VmHWM)', formatBytes(pushRun.peakRss)],
    ['RSS of the push process before the run', formatBytes(before.rss)],
    ['peak V8 heap used', formatBytes(peak.heapUsed)],
    [
      'sandbox: template messages, recipients, max per recipient',
      `${summary.template.accepted}, ${summary.template.recipients}, ${summary.template.maxPerRecipient}`,
    ],
    [
      'sandbox: subscription messages, recipients, max per recipient',
      `${summary.subscribe.accepted}, ${summary.subscribe.recipients}, ${summary.subscribe.maxPerRecipient}`,
    ],
  ];
  return [
    `Command: \`${command}\``,
    '',
    `Machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, ` +
      `Node.js ${process.version}; 1-minute load average ${loadAverage.toFixed(2)} at the start.`,
    '',
    '| measure | value |',
    '| --- | --- |',
    ...rows.map(([name, value]) => `| ${name} | ${value} |`),
    '',
  ].join('\n');
}

interface PushRunResult {
  report: PushRunReport;
  runMs: number;
  calls: { first: number; last: number; count: number };
  peak: { rss: number; heapUsed: number };
  /** Memory right before the run, after start-up and the database connection. */
  before: { rss: number; heapUsed: number };
  /** Timing of the pick source's prepare, which is the model build for the recommender. */
  prepare: PrepareTiming;
  /** VmHWM of the push process at the end of the run. */
  peakRss: number;
}

/**
 * Runs the push in a fresh child process, as one server copy would, so its peak memory is the
 * push's alone and not this process's seeding. Options and URLs go in as JSON.
 */
async function runPushInChild(
  options: Options,
  mongodbUri: string,
  sandboxUrl: string,
  modelNow: Date | null,
): Promise<PushRunResult> {
  const child: ChildProcess = fork(
    fileURLToPath(import.meta.url),
    ['--run-push', JSON.stringify({ options, mongodbUri, sandboxUrl, modelNow })],
    {
      execArgv: [
        '--import',
        'tsx',
        ...(options.maxOldSpaceMb === undefined
          ? []
          : [`--max-old-space-size=${options.maxOldSpaceMb}`]),
        ...(options.cpuProfileDir === undefined
          ? []
          : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`]),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const exited = once(child, 'exit');
  const [message] = (await Promise.race([
    once(child, 'message'),
    exited.then(([code]) => {
      throw new Error(`the push process exited with code ${String(code)} before reporting`);
    }),
  ])) as [PushRunResult];
  await exited;
  return message;
}

/** JSON over IPC turns dates into strings; the report needs only its counts and numbers. */
function reviveReport(report: PushRunReport): PushRunReport {
  return {
    ...report,
    startedAt: new Date(report.startedAt),
    finishedAt: new Date(report.finishedAt),
  };
}

/** Runs one weekly push through the scheduler and sends the result to the parent process. */
async function runPush(argument: string): Promise<void> {
  const { options, mongodbUri, sandboxUrl, modelNow } = JSON.parse(argument) as {
    options: Options;
    mongodbUri: string;
    sandboxUrl: string;
    /** The generated organisation's "now" for the recommender's model, or null for popular picks. */
    modelNow: string | null;
  };
  const sandbox = { url: sandboxUrl };
  const runLogger = pino({ name: 'push', level: 'info' }, pino.destination(2));
  await connectDatabase(mongodbUri, runLogger);
  const tokens = new AccessTokenStore({
    wechat: new WechatClient({
      baseUrl: sandbox.url,
      ...APP,
      timeoutMs: 5_000,
      logger: runLogger,
    }),
    apps: [APP, OFFICIAL_ACCOUNT],
    logger: runLogger,
  });
  const timed = timedClient(
    new PushMessageClient({
      baseUrl: sandbox.url,
      timeoutMs: 5_000,
      tokens,
      officialAccountAppId: OFFICIAL_ACCOUNT.appId,
      miniProgramAppId: APP.appId,
      logger: runLogger,
    }),
  );
  const prepare: PrepareTiming = { ms: 0, peakRss: 0 };
  const runner = new PushRunner({
    client: timed.client,
    settings: {
      templateId: TEMPLATE_ID,
      subscribeTemplateId: SUBSCRIBE_TEMPLATE_ID,
      miniProgramAppId: APP.appId,
      ratePerSecond: options.rate,
      concurrency: options.concurrency,
    },
    createPickSource: () =>
      timedPickSource(
        modelNow === null
          ? new PopularCoursePicks()
          : RecommendationBatch.lazyPickSource({ logger: runLogger, now: new Date(modelNow) }),
        prepare,
      ),
    logger: runLogger,
    batchSize: options.batchSize,
    batchesInFlight: options.batchesInFlight,
  });
  // Every minute matches, so the week's run is due at once, as after a missed Monday.
  const scheduler = new PushScheduler({
    cronExpression: '* * * * *',
    timeZone: 'Asia/Shanghai',
    runner,
    logger: runLogger,
  });

  const usage = process.memoryUsage();
  const before = { rss: usage.rss, heapUsed: usage.heapUsed };
  const memory = sampleMemory();
  const runStart = performance.now();
  const outcome = await scheduler.tick();
  const runMs = performance.now() - runStart;
  memory.stop();
  if (outcome.kind !== 'ran') throw new Error(`the push did not run: ${outcome.kind}`);

  const result: PushRunResult = {
    report: outcome.report,
    runMs,
    calls: timed.calls,
    peak: memory.peak,
    before,
    prepare,
    peakRss: peakRss(),
  };
  process.send?.(result);
  await disconnectDatabase();
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options.serveSandbox) {
    await serveSandbox();
    return;
  }
  if (options.runPush !== undefined) {
    await runPush(options.runPush);
    return;
  }
  const loadAverage = os.loadavg()[0] ?? 0;
  const database = await startLocalDatabase({ name: 'bench-push', ephemeral: true });
  const sandbox = await startSandbox();
  let failed = false;
  try {
    const dbLogger = logger.child({ component: 'db' });
    await connectDatabase(database.uri, dbLogger);
    await ensureIndexes(dbLogger);
    if (options.latencyMs > 0) {
      for (const endpoint of ['template_send', 'subscribe_send']) {
        await sandboxPost(sandbox.url, '/sandbox/push/faults', {
          endpoint,
          delayMs: options.latencyMs,
        });
      }
    }
    const seedStart = performance.now();
    const seeded =
      options.picks === 'popular'
        ? { ...(await seedPopular(options, sandbox.url)), modelNow: null }
        : await seedRecommenderWorld(options, sandbox.url);
    logger.info({ seconds: Math.round((performance.now() - seedStart) / 1000) }, 'seed finished');

    const pushRun = await runPushInChild(options, database.uri, sandbox.url, seeded.modelNow);
    const report = reviveReport(pushRun.report);

    const summary = (await (
      await fetch(new URL('/sandbox/push/summary', sandbox.url))
    ).json()) as SandboxSummary;
    const { counts } = report;
    const problems: string[] = [];
    if (counts.deliveries !== options.learners) {
      problems.push(`${counts.deliveries} deliveries for ${options.learners} learners`);
    }
    if (counts.sent !== options.learners)
      problems.push(`${counts.sent} of ${options.learners} sent`);
    if (summary.template.maxPerRecipient > 1 || summary.subscribe.maxPerRecipient > 1) {
      problems.push('a recipient got more than one message');
    }
    if (summary.template.accepted !== counts.sentByChannel.template) {
      problems.push(
        `sandbox accepted ${summary.template.accepted} template messages, ` +
          `the run reports ${counts.sentByChannel.template}`,
      );
    }
    if (summary.subscribe.accepted !== counts.sentByChannel.subscription) {
      problems.push(
        `sandbox accepted ${summary.subscribe.accepted} subscription messages, ` +
          `the run reports ${counts.sentByChannel.subscription}`,
      );
    }
    process.stdout.write(formatReport(options, seeded, pushRun, report, summary, loadAverage));
    if (problems.length > 0) {
      failed = true;
      logger.error({ problems }, 'benchmark checks failed');
    }
  } finally {
    await disconnectDatabase().catch(() => undefined);
    await sandbox.stop();
    await database.stop();
  }
  if (failed) process.exit(1);
}

await main();
