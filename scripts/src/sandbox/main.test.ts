import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN_PATH = fileURLToPath(new URL('./main.ts', import.meta.url));

interface LogLine {
  msg: string;
  url?: string;
  [field: string]: unknown;
}

let child: ChildProcess | undefined;

afterEach(() => {
  if (child !== undefined && child.exitCode === null) {
    child.kill('SIGKILL');
  }
  child = undefined;
});

function startMain(environment: Record<string, string>): {
  process: ChildProcess;
  lines: LogLine[];
  waitForLine(msg: string): Promise<LogLine>;
} {
  const started = spawn(process.execPath, ['--import', 'tsx', MAIN_PATH], {
    env: { ...process.env, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  const lines: LogLine[] = [];
  const waiters: Array<{ msg: string; resolve(line: LogLine): void }> = [];
  let buffered = '';
  started.stdout?.setEncoding('utf8');
  started.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts.filter((text) => text.trim() !== '')) {
      const line = JSON.parse(part) as LogLine;
      lines.push(line);
      for (const waiter of waiters.filter((candidate) => candidate.msg === line.msg)) {
        waiter.resolve(line);
      }
    }
  });
  return {
    process: started,
    lines,
    waitForLine: (msg) =>
      new Promise((resolve) => {
        const seen = lines.find((line) => line.msg === msg);
        if (seen !== undefined) {
          resolve(seen);
        } else {
          waiters.push({ msg, resolve });
        }
      }),
  };
}

describe('sandbox main', () => {
  it('logs its address, serves requests and stops on SIGTERM', async () => {
    const main = startMain({ SANDBOX_PORT: '0', SANDBOX_HOST: '127.0.0.1' });

    const listening = await main.waitForLine('wechat sandbox listening');
    const response = await fetch(`${String(listening.url)}/sandbox/login-code`, {
      method: 'POST',
      body: JSON.stringify({ learner: 'demo' }),
    });
    const body = (await response.json()) as { code: string };
    const exchange = await fetch(
      `${String(listening.url)}/sns/jscode2session?appid=wxsandbox00000000` +
        `&secret=0123456789abcdef0123456789abcdef&js_code=${body.code}` +
        '&grant_type=authorization_code',
    );
    const session = (await exchange.json()) as { openid?: string };
    main.process.kill('SIGTERM');
    const [exitCode] = (await once(main.process, 'exit')) as [number | null];

    expect(listening.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(listening.appId).toBe('wxsandbox00000000');
    expect(session.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    expect(exitCode).toBe(0);
    expect(main.lines.some((line) => line.msg === 'wechat sandbox stopped')).toBe(true);
  }, 20_000);

  it('exits with status 1 on an invalid AppID', async () => {
    const main = startMain({ SANDBOX_PORT: '0', WECHAT_APP_ID: 'not-an-appid' });

    const fatal = await main.waitForLine('invalid sandbox environment');
    const [exitCode] = (await once(main.process, 'exit')) as [number | null];

    expect(String(fatal.problems)).toMatch(/WECHAT_APP_ID/);
    expect(exitCode).toBe(1);
  }, 20_000);
});
