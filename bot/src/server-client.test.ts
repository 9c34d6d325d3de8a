import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createBotLogger } from './logger.js';
import { ServerCallError, ServerClient } from './server-client.js';

const TOKEN = 't'.repeat(40);
const logger = createBotLogger(
  { level: 'silent' },
  new Writable({ write: (_chunk, _encoding, callback) => callback() }),
);
let server: Server | undefined;

/** Serves each request with the next of `responses`: a status, or `hang` to never answer. */
async function serve(responses: (number | 'hang')[]) {
  const seen: { method: string; url: string; authorization: string }[] = [];
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    seen.push({
      method: request.method ?? '',
      url: request.url ?? '',
      authorization: request.headers.authorization ?? '',
    });
    const next = responses.shift() ?? 500;
    if (next === 'hang') return;
    response.writeHead(next, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ items: [], status: next }));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const client = new ServerClient({
    baseUrl: `http://127.0.0.1:${port}`,
    token: TOKEN,
    timeoutMs: 300,
    logger,
  });
  return { client, seen };
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

describe('ServerClient', () => {
  it('sends the service token', async () => {
    const { client, seen } = await serve([200]);
    await client.outbox();

    expect(seen[0]?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]?.url).toBe('/api/assistant/channel-outbox');
  });

  it('retries a 5xx once', async () => {
    const { client, seen } = await serve([503, 200]);
    const body = await client.outbox();

    expect(body.items).toEqual([]);
    expect(seen).toHaveLength(2);
  });

  it('retries a timeout once, then fails', async () => {
    const { client, seen } = await serve(['hang', 'hang']);

    await expect(client.outbox()).rejects.toBeInstanceOf(ServerCallError);
    expect(seen).toHaveLength(2);
  });

  it('does not retry a 4xx', async () => {
    const { client, seen } = await serve([401, 200]);

    await expect(client.outbox()).rejects.toThrow(/returned 401/);
    expect(seen).toHaveLength(1);
  });
});
