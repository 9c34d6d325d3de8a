import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ApiErrorBody } from '@wxlearn/api-types';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let h5Dir: string;

beforeAll(async () => {
  h5Dir = mkdtempSync(path.join(os.tmpdir(), 'wxlearn-h5-'));
  writeFileSync(path.join(h5Dir, 'index.html'), '<!doctype html><title>企业学堂</title>');
  server = await startTestServer({ H5_DIST_DIR: h5Dir });
});

afterAll(async () => {
  await server?.close();
});

describe('static H5 files', () => {
  it('serves index.html at /', async () => {
    const response = await server.request('GET', '/');

    expect(response.status).toBe(200);
    expect(response.text).toContain('企业学堂');
  });

  it.each(['/%2e%2e/package.json', '/..%2fpackage.json', '/%E0%A4%A', '/%00', '/missing.js'])(
    'answers %s with 404, not 500',
    async (requestPath) => {
      const response = await fetch(server.url + requestPath);
      const body = (await response.json()) as ApiErrorBody;

      expect(response.status).toBe(404);
      expect(body.error.id).toBe('not_found');
    },
  );
});

describe('request bodies', () => {
  it.each(['gzip', 'deflate', 'br'])(
    'rejects a plain body labelled %s with 400',
    async (encoding) => {
      const response = await server.request<ApiErrorBody>('POST', '/api/auth/login', {
        rawBody: '{"code":"abc"}',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      });

      expect(response.status).toBe(400);
      expect(response.body.error.id).toBe('validation_failed');
    },
  );

  it('accepts a gzip body that is really compressed', async () => {
    const response = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ code: 'no-such-code-456' })),
    });
    const body = (await response.json()) as ApiErrorBody;

    expect(response.status).toBe(401);
    expect(body.error.id).toBe('invalid_login_code');
  });

  it('rejects a body over the limit with 413', async () => {
    const response = await server.request<ApiErrorBody>('POST', '/api/auth/login', {
      body: { code: 'x'.repeat(300 * 1024) },
    });

    expect(response.status).toBe(413);
    expect(response.body.error.id).toBe('payload_too_large');
  });
});

describe('database outage', () => {
  it('answers 503 while the database is unreachable, then recovers', async () => {
    const token = await server.loginAs('outage');
    const uri = server.deps.config.MONGODB_URI;
    await mongoose.disconnect();

    const during = await server.request<ApiErrorBody>('GET', '/api/me', { token });
    const health = await server.request<ApiErrorBody>('GET', '/api/health');
    await mongoose.connect(uri);
    const after = await server.request('GET', '/api/me', { token });

    expect(during.status).toBe(503);
    expect(during.body.error.id).toBe('service_unavailable');
    expect(health.status).toBe(503);
    expect(after.status).toBe(200);
  }, 20_000);
});
