import Router from '@koa/router';
import type { DevLoginCodeResponse, LoginResponse } from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { wechatUnavailable } from '../../errors.js';
import { parseInput } from '../../http/validate.js';
import { requestSandboxLoginCode } from '../../wechat/sandbox-client.js';
import { getLearnerWithBinding } from '../learners/learners.service.js';
import { presentLearner } from '../learners/learner.presenter.js';
import { devLoginCodeBody, loginBody } from './auth.schemas.js';

export function createAuthRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api' });

  router.post('/auth/login', async (ctx) => {
    const { code } = parseInput(loginBody, ctx.request.body, 'login request');
    const session = await deps.auth.login(code);
    const learner = await getLearnerWithBinding(session.learnerId);

    const body: LoginResponse = {
      token: session.token,
      expiresAt: session.expiresAt.toISOString(),
      learner: presentLearner(learner),
    };
    ctx.body = body;
  });

  const sandboxUrl = deps.config.WECHAT_SANDBOX_URL;
  if (deps.config.WECHAT_DEV_LOGIN && sandboxUrl) {
    router.post('/dev/login-code', async (ctx) => {
      const { learner } = parseInput(devLoginCodeBody, ctx.request.body, 'login code request');
      const code = await requestSandboxLoginCode(
        sandboxUrl,
        learner,
        deps.config.WECHAT_TIMEOUT_MS,
      ).catch((error: unknown) => {
        ctx.state.log.warn({ err: error }, 'sandbox login code failed');
        throw wechatUnavailable('The WeChat sandbox did not return a login code: is it running?');
      });
      const body: DevLoginCodeResponse = { code };
      ctx.body = body;
    });
  }

  return router;
}
