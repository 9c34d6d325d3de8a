// API throughput and latency benchmark: starts a throwaway stack (PostgreSQL + FerretDB, sandbox,
// imported public data, server), signs in one learner, then loads each endpoint with autocannon
// from this process over 127.0.0.1. `GET /api/health` (one database ping) is the baseline measured
// in the same run. Writes nothing outside its throwaway database.
//
//   node --import tsx scripts/bench/api.ts [--duration 10] [--connections 20]
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { repoRoot } from '../src/db/paths.js';
import { startStack } from '../src/stack/stack.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '20' },
  },
});
const duration = Number(values.duration);
const connections = Number(values.connections);
const logger = pino({ name: 'bench', level: 'warn' });

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok)
    throw new Error(`${init.method ?? 'GET'} ${url} failed: HTTP ${response.status}`);
  return (await response.json()) as T;
}

async function signIn(baseUrl: string): Promise<string> {
  const post = (body: unknown) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const { code } = await json<{ code: string }>(
    `${baseUrl}/api/dev/login-code`,
    post({ learner: 'bench' }),
  );
  const { token } = await json<{ token: string }>(`${baseUrl}/api/auth/login`, post({ code }));
  return token;
}

async function main(): Promise<void> {
  const stack = await startStack({
    logger,
    port: 0,
    sandboxPort: 0,
    databaseName: 'bench',
    ephemeral: true,
    dataDir: path.resolve(repoRoot, process.env.DATA_DIR ?? '../shared/data'),
    employees: 2000,
    quiet: true,
  });
  try {
    const token = await signIn(stack.url);
    const headers = { authorization: `Bearer ${token}` };
    const page = await json<{ items: { id: string }[] }>(
      `${stack.url}/api/courses?q=${encodeURIComponent('数据库')}`,
      {
        headers,
      },
    );
    const courseId = page.items[0]?.id;
    if (!courseId) throw new Error('search for 数据库 found no course: was the catalog imported?');

    const targets = [
      { name: 'GET /api/health (baseline)', path: '/api/health' },
      { name: 'GET /api/me', path: '/api/me' },
      { name: 'GET /api/courses (page 1)', path: '/api/courses' },
      { name: 'GET /api/courses?q=数据库', path: `/api/courses?q=${encodeURIComponent('数据库')}` },
      { name: 'GET /api/courses?q=sjk', path: '/api/courses?q=sjk' },
      { name: 'GET /api/courses/:id', path: `/api/courses/${courseId}` },
      { name: 'GET /api/categories', path: '/api/categories' },
    ];

    const rows: string[] = [];
    for (const target of targets) {
      const result = await autocannon({
        url: stack.url + target.path,
        headers,
        connections,
        duration,
      });
      const non2xx = result.non2xx + result.errors;
      rows.push(
        `| ${target.name} | ${result.requests.average.toFixed(0)} | ${result.latency.p50} | ` +
          `${result.latency.p99} | ${non2xx} |`,
      );
    }

    process.stdout.write(
      [
        `API benchmark: ${connections} connections, ${duration} s per endpoint, ${os.cpus().length} cores,`,
        `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}, database ${stack.mongodbUri}`,
        '',
        '| endpoint | requests/s | p50 ms | p99 ms | errors + non-2xx |',
        '| --- | --- | --- | --- | --- |',
        ...rows,
        '',
      ].join('\n'),
    );
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  logger.error({ err: error }, 'benchmark failed');
  process.exit(1);
});
