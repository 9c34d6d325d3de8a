// Development and test controls under /sandbox/. None of these routes exist at WeChat.
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { SIMULATED_JSCODE2SESSION_ERRCODES, type SandboxContext } from './context.js';
import { MAX_BODY_BYTES, readJsonBody } from './http-body.js';
import { loginCodeRequestSchema, type LoginArea } from './login.js';

const behaviourPatchSchema = z.strictObject({
  jscode2sessionDelayMs: z.number().int().min(0).max(60_000).optional(),
  jscode2sessionErrcode: z
    .union(SIMULATED_JSCODE2SESSION_ERRCODES.map((errcode) => z.literal(errcode)))
    .nullable()
    .optional(),
});

const clockAdvanceSchema = z.strictObject({
  advanceMs: z.number().int().positive(),
});

export interface DevControlsDependencies {
  login: LoginArea;
  /** Restores the state of a fresh sandbox: codes, learners, tokens, counts, behaviour, clock. */
  reset(): void;
}

export function sendInvalidRequest(ctx: Context, message: string): void {
  ctx.status = 400;
  ctx.body = { error: { id: 'invalid_request', message } };
}

/**
 * Reads a JSON body of up to `maxBytes` and validates it, sending 400 and returning undefined on
 * failure. An empty body counts as `{}` so that routes whose fields are all optional accept it.
 */
export async function parseBody<T>(
  ctx: Context,
  schema: z.ZodType<T>,
  maxBytes = MAX_BODY_BYTES,
): Promise<T | undefined> {
  const body = await readJsonBody(ctx.req, maxBytes);
  if (body.kind === 'too_large') {
    sendInvalidRequest(ctx, `request body is larger than ${maxBytes / 1024} KiB`);
    return undefined;
  }
  if (body.kind === 'invalid_json') {
    sendInvalidRequest(ctx, 'request body is not valid JSON');
    return undefined;
  }
  const parsed = schema.safeParse(body.kind === 'empty' ? {} : body.value);
  if (!parsed.success) {
    sendInvalidRequest(ctx, z.prettifyError(parsed.error));
    return undefined;
  }
  return parsed.data;
}

export function createDevControlsRouter(
  context: SandboxContext,
  dependencies: DevControlsDependencies,
): Router {
  const { clock, calls, behaviour } = context;
  const router = new Router({ prefix: '/sandbox' });

  // Issues a login code as wx.login() would, for the learner given by openid, by a learner
  // name (same name, same openid) or, with neither, for a new random learner.
  router.post('/login-code', async (ctx) => {
    const request = await parseBody(ctx, loginCodeRequestSchema);
    if (request === undefined) return;
    ctx.body = dependencies.login.issueLoginCode(request);
  });

  router.get('/calls', (ctx) => {
    ctx.body = { calls: calls.snapshot() };
  });

  router.post('/reset', (ctx) => {
    dependencies.reset();
    ctx.status = 204;
  });

  router.get('/behaviour', (ctx) => {
    ctx.body = behaviour;
  });

  router.post('/behaviour', async (ctx) => {
    const patch = await parseBody(ctx, behaviourPatchSchema);
    if (patch === undefined) return;
    if (patch.jscode2sessionDelayMs !== undefined) {
      behaviour.jscode2sessionDelayMs = patch.jscode2sessionDelayMs;
    }
    if (patch.jscode2sessionErrcode !== undefined) {
      behaviour.jscode2sessionErrcode = patch.jscode2sessionErrcode;
    }
    context.logger.info({ behaviour }, 'sandbox behaviour changed');
    ctx.body = behaviour;
  });

  // Reads and moves sandbox time forward, for tests that run the sandbox as a separate process.
  router.get('/clock', (ctx) => {
    ctx.body = { now: new Date(clock.now()).toISOString() };
  });

  router.post('/clock', async (ctx) => {
    const request = await parseBody(ctx, clockAdvanceSchema);
    if (request === undefined) return;
    clock.advance(request.advanceMs);
    ctx.body = { now: new Date(clock.now()).toISOString() };
  });

  return router;
}
