import { createHash, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import type {
  ChannelAskResponse,
  ChannelOutboxResponse,
  ChatBindingCodeResponse,
} from '@wxlearn/api-types';
import type { Middleware } from 'koa';
import type { AppDeps } from '../../app.js';
import { unauthenticated } from '../../errors.js';
import { requireLearner } from '../../http/authenticate.js';
import { parseInput } from '../../http/validate.js';
import {
  channelAskBody,
  channelGroupCodesBody,
  handoffIdParams,
  outboxAckBody,
} from './assistant.schemas.js';
import { replyOnce } from './channel-message.service.js';
import {
  CHAT_BINDING_IN_GROUP_TEXT,
  createChatBindingCode,
  revokeCodesInGroupMessage,
} from './chat-binding.service.js';
import { replyToChannelMessage } from './conversation.service.js';
import { acknowledgeBotDelivery, handoffAnswerText, listBotOutbox } from './handoff.service.js';

/** Response of `POST /api/assistant/channel-group-codes`. */
export interface ChannelGroupCodesResponse {
  /** True when the message quoted a live binding code, which is now revoked. */
  revoked: boolean;
  /** The warning to post in the group, or null when nothing was revoked. */
  reply: string | null;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Rejects a request with 401 unless it carries `Authorization: Bearer <token>`. The comparison of
 * SHA-256 digests takes the same time whatever the sent value, so timing reveals nothing of the
 * token.
 */
export function requireServiceToken(token: string): Middleware {
  const expected = sha256(token);
  return async (ctx, next) => {
    const sent = /^Bearer (\S+)$/.exec(ctx.get('authorization'))?.[1] ?? '';
    if (!timingSafeEqual(sha256(sent), expected)) {
      throw unauthenticated(
        'Missing or invalid service token: set BOT_SERVICE_TOKEN as the server has it',
      );
    }
    await next();
  };
}

/** `POST /api/me/chat-binding-code`: a one-time code that binds a chat sender to the learner. */
export function createChatBindingRouter(deps: AppDeps): Router {
  const router = new Router();
  router.post('/api/me/chat-binding-code', requireLearner(deps.auth), async (ctx) => {
    const now = deps.now?.() ?? new Date();
    const created = await createChatBindingCode(ctx.state.learnerId, now);
    ctx.state.log.info({ learnerId: ctx.state.learnerId }, 'chat binding code created');
    ctx.set('Cache-Control', 'no-store');
    const body: ChatBindingCodeResponse = {
      code: created.code,
      expiresAt: created.expiresAt.toISOString(),
    };
    ctx.body = body;
  });
  return router;
}

/**
 * Routes of the bot process, authenticated by the BOT_SERVICE_TOKEN service credential: questions
 * (`channel-ask`), the revocation of binding codes seen in groups, and the outbox of operators'
 * answers. The bot's channel is stored as `bot`.
 */
export function createBotChannelRouter(deps: AppDeps, serviceToken: string): Router {
  const router = new Router({ prefix: '/api/assistant' });
  const service = requireServiceToken(serviceToken);
  const now = () => deps.now?.() ?? new Date();

  router.post('/channel-ask', service, async (ctx) => {
    const message = parseInput(channelAskBody, ctx.request.body, 'chat message');
    const log = ctx.state.log.child({ messageId: message.messageId, senderId: message.senderId });
    const outcome = await replyOnce('bot', message.messageId, message.senderId, now(), log, () =>
      replyToChannelMessage(
        {
          channel: 'bot',
          senderId: message.senderId,
          roomId: message.roomId ?? null,
          text: message.text,
        },
        { now: now(), logger: log },
      ),
    );
    const body: ChannelAskResponse = {
      kind: outcome.kind,
      reply: outcome.text,
      courses: outcome.courses,
      handoffId: outcome.handoffId,
    };
    ctx.body = body;
  });

  // A group message that does not mention the bot gets no reply, but a binding code quoted in it
  // is readable by the whole group, so the bot sends such messages here to revoke the code.
  router.post('/channel-group-codes', service, async (ctx) => {
    const message = parseInput(channelGroupCodesBody, ctx.request.body, 'group message');
    const log = ctx.state.log.child({ senderId: message.senderId, roomId: message.roomId });
    const revoked = await revokeCodesInGroupMessage(
      'bot',
      message.senderId,
      message.text,
      now(),
      log,
    );
    const body: ChannelGroupCodesResponse = {
      revoked,
      reply: revoked ? CHAT_BINDING_IN_GROUP_TEXT : null,
    };
    ctx.body = body;
  });

  router.get('/channel-outbox', service, async (ctx) => {
    const handoffs = await listBotOutbox();
    const body: ChannelOutboxResponse = {
      items: handoffs.map((handoff) => ({
        handoffId: handoff._id.toHexString(),
        senderId: handoff.senderId,
        roomId: handoff.roomId,
        text: handoffAnswerText(handoff),
      })),
    };
    ctx.body = body;
  });

  router.post('/channel-outbox/:id/ack', service, async (ctx) => {
    const { id } = parseInput(handoffIdParams, ctx.params, 'handoff id');
    const report = parseInput(outboxAckBody, ctx.request.body, 'delivery report');
    const handoff = await acknowledgeBotDelivery(id, report, now(), ctx.state.log);
    ctx.body = { handoffId: id, state: handoff.state };
  });

  return router;
}
