// The weekly push across processes: two server copies on one schedule, and a copy killed in the
// middle of a run. Each child is test/support/push-worker.ts, which starts the push scheduler as
// the server does.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryModel, DeliveryResultModel } from '../src/modules/push/delivery.model.js';
import { PushRunModel } from '../src/modules/push/push-run.model.js';
import {
  startTestServer,
  TEST_APP_ID,
  TEST_APP_SECRET,
  TEST_OA_APP_ID,
  TEST_OA_APP_SECRET,
  type TestServer,
} from './harness.js';
import {
  clearPushData,
  PUSH_OVERRIDES,
  sandboxGet,
  sandboxPost,
  seedCourses,
  seedLearners,
  TEMPLATE_ID,
} from './push-support.js';

const workerPath = fileURLToPath(new URL('./support/push-worker.ts', import.meta.url));

interface Worker {
  child: ChildProcess;
  /** Parsed JSON lines the child wrote so far. */
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
  stderr(): string;
}

let server: TestServer;
const workers: Worker[] = [];

beforeAll(async () => {
  server = await startTestServer(PUSH_OVERRIDES);
});

afterEach(async () => {
  for (const worker of workers.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  }
  await sandboxPost(server, '/sandbox/reset', {});
  await clearPushData();
});

afterAll(async () => {
  await server.close();
});

function startWorker(cron: string, overrides: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', workerPath], {
    env: {
      ...process.env,
      MONGODB_URI: server.deps.config.MONGODB_URI,
      WECHAT_API_BASE_URL: server.sandbox.url,
      WECHAT_APP_ID: TEST_APP_ID,
      WECHAT_APP_SECRET: TEST_APP_SECRET,
      WECHAT_OA_APP_ID: TEST_OA_APP_ID,
      WECHAT_OA_APP_SECRET: TEST_OA_APP_SECRET,
      PUSH_TEMPLATE_ID: TEMPLATE_ID,
      PUSH_CRON: cron,
      PUSH_LEASE_MS: '60000',
      PUSH_HEARTBEAT_MS: '1000',
      PUSH_BATCH_SIZE: '100',
      ...overrides,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ text: line });
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const worker = { child, lines, exited, stderr: () => stderr };
  workers.push(worker);
  return worker;
}

async function waitFor(
  description: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function reportsOf(worker: Worker) {
  return worker.lines.filter((line) => line.event === 'report');
}

interface TemplateSummary {
  template: {
    accepted: number;
    recipients: number;
    maxPerRecipient: number;
    recipientsWithDuplicates: number;
    duplicatesSuppressed: number;
  };
}

/** Returns a cron expression for one second in Asia/Shanghai, `secondsAhead` from now, on this date only. */
function cronAt(secondsAhead: number): string {
  const at = new Date(Date.now() + secondsAhead * 1000 + 8 * 3_600_000);
  return [
    at.getUTCSeconds(),
    at.getUTCMinutes(),
    at.getUTCHours(),
    at.getUTCDate(),
    at.getUTCMonth() + 1,
    '*',
  ].join(' ');
}

describe('weekly push across processes', () => {
  it('runs once when two copies fire on the same schedule', async () => {
    await seedCourses(['数据库系统概论']);
    await seedLearners(server, { count: 300, prefix: 'oTwo', follows: () => true });
    const cron = cronAt(12);

    const first = startWorker(cron);
    const second = startWorker(cron);
    await waitFor(
      'a run report',
      () => reportsOf(first).length + reportsOf(second).length > 0,
      60_000,
    );
    // Let the losing copy's scheduled tick finish too.
    await waitFor(
      'both scheduled ticks',
      () =>
        [first, second].every((worker) =>
          worker.lines.some(
            (line) => line.msg === 'push schedule checked' && line.trigger === 'schedule',
          ),
        ),
      30_000,
    );

    const outcomes = [first, second].map(
      (worker) =>
        worker.lines.find(
          (line) => line.msg === 'push schedule checked' && line.trigger === 'schedule',
        )?.outcome,
    );
    expect(outcomes.sort()).toEqual(['ran', 'running_elsewhere']);
    expect(reportsOf(first).length + reportsOf(second).length).toBe(1);
    expect(await PushRunModel.countDocuments()).toBe(1);
    const summary = await sandboxGet<TemplateSummary>(server, '/sandbox/push/summary');
    expect(summary.template.accepted).toBe(300);
    expect(summary.template.maxPerRecipient).toBe(1);
  }, 120_000);

  it('sends every learner one message after a kill at 40% of 10,000', async () => {
    await seedCourses(['操作系统']);
    await seedLearners(server, { count: 10_000, prefix: 'oKill', follows: () => true });
    // Every minute matches, so the run is due as soon as a copy starts.
    const overrides = { PUSH_LEASE_MS: '3000', PUSH_HEARTBEAT_MS: '500', PUSH_BATCH_SIZE: '500' };

    const doomed = startWorker('* * * * *', overrides);
    await waitFor(
      '4,000 messages',
      async () =>
        (await sandboxGet<TemplateSummary>(server, '/sandbox/push/summary')).template.accepted >=
        4_000,
      120_000,
    );
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const atKill = await sandboxGet<TemplateSummary>(server, '/sandbox/push/summary');
    expect(atKill.template.accepted).toBeLessThan(10_000);

    const successor = startWorker('* * * * *', overrides);
    await waitFor('the resumed run report', () => reportsOf(successor).length > 0, 180_000);

    const [line] = reportsOf(successor);
    const report = line?.report as {
      attempt: number;
      counts: { deliveries: number; sent: number; unconfirmed: number };
    };
    expect(report.attempt).toBe(2);
    expect(report.counts.deliveries).toBe(10_000);
    expect(report.counts.sent).toBe(10_000);
    expect(report.counts.unconfirmed).toBe(0);
    const summary = await sandboxGet<TemplateSummary>(server, '/sandbox/push/summary');
    expect(summary.template.accepted).toBe(10_000);
    expect(summary.template.recipients).toBe(10_000);
    expect(summary.template.maxPerRecipient).toBe(1);
    expect(summary.template.recipientsWithDuplicates).toBe(0);
    expect(await DeliveryModel.countDocuments()).toBe(10_000);
    expect(await DeliveryResultModel.countDocuments({ state: 'sent' })).toBe(10_000);
    expect(
      successor.lines.some((line) => line.msg === 'push run taken over'),
      'the successor took the run over',
    ).toBe(true);
  }, 300_000);
});
