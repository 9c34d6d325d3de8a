import Router from '@koa/router';
import type {
  FaqEntryListResponse,
  FaqEntryView,
  FaqSynonymListResponse,
  FaqSynonymView,
  HandoffListResponse,
  HandoffView,
  UnansweredQuestionListResponse,
} from '@wxlearn/api-types';
import type { AppDeps } from '../../app.js';
import { parseInput } from '../../http/validate.js';
import { requireOperator } from '../admin/require-operator.js';
import {
  presentFaqEntry,
  presentFaqSynonyms,
  presentHandoff,
  presentUnanswered,
} from './assistant.presenter.js';
import {
  answerHandoffBody,
  createFaqEntryBody,
  faqCodeParams,
  faqListQuery,
  handoffIdParams,
  handoffListQuery,
  saveToFaqBody,
  setSynonymsBody,
  synonymTermParams,
  unansweredQuery,
  updateFaqEntryBody,
} from './assistant.schemas.js';
import { listUnansweredQuestions } from './assistant.service.js';
import {
  createFaqEntry,
  deleteFaqSynonyms,
  getFaqEntry,
  listFaqEntries,
  listFaqSynonyms,
  setFaqSynonyms,
  updateFaqEntry,
} from './faq-admin.service.js';
import { answerHandoff, listHandoffs, saveHandoffToFaq } from './handoff.service.js';

/**
 * Routes for operators: the FAQ knowledge base, the handoff queue and the report of unanswered
 * questions. Every request checks the caller's operator grant.
 */
export function createAssistantAdminRouter(deps: AppDeps): Router {
  const router = new Router({ prefix: '/api/admin/assistant' });
  router.use(requireOperator(deps.auth));
  const now = () => deps.now?.() ?? new Date();

  router.get('/faq', async (ctx) => {
    const { enabled } = parseInput(faqListQuery, ctx.query, 'FAQ list query');
    const entries = await listFaqEntries({ enabled });
    const body: FaqEntryListResponse = { items: entries.map(presentFaqEntry) };
    ctx.body = body;
  });

  router.get('/faq/:code', async (ctx) => {
    const { code } = parseInput(faqCodeParams, ctx.params, 'FAQ entry code');
    const body: FaqEntryView = presentFaqEntry(await getFaqEntry(code));
    ctx.body = body;
  });

  router.post('/faq', async (ctx) => {
    const input = parseInput(createFaqEntryBody, ctx.request.body, 'FAQ entry');
    const entry = await createFaqEntry(input);
    ctx.state.log.info({ operator: ctx.state.operator, code: entry.code }, 'faq entry created');
    const body: FaqEntryView = presentFaqEntry(entry);
    ctx.status = 201;
    ctx.body = body;
  });

  router.patch('/faq/:code', async (ctx) => {
    const { code } = parseInput(faqCodeParams, ctx.params, 'FAQ entry code');
    const changes = parseInput(updateFaqEntryBody, ctx.request.body, 'FAQ entry change');
    const entry = await updateFaqEntry(code, changes);
    ctx.state.log.info(
      { operator: ctx.state.operator, code, fields: Object.keys(changes) },
      'faq entry updated',
    );
    const body: FaqEntryView = presentFaqEntry(entry);
    ctx.body = body;
  });

  for (const [action, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    router.post(`/faq/:code/${action}`, async (ctx) => {
      const { code } = parseInput(faqCodeParams, ctx.params, 'FAQ entry code');
      const entry = await updateFaqEntry(code, { enabled });
      ctx.state.log.info({ operator: ctx.state.operator, code, enabled }, 'faq entry switched');
      const body: FaqEntryView = presentFaqEntry(entry);
      ctx.body = body;
    });
  }

  router.get('/synonyms', async (ctx) => {
    const body: FaqSynonymListResponse = {
      items: (await listFaqSynonyms()).map(presentFaqSynonyms),
    };
    ctx.body = body;
  });

  router.put('/synonyms/:term', async (ctx) => {
    const { term } = parseInput(synonymTermParams, ctx.params, 'synonym term');
    const { synonyms } = parseInput(setSynonymsBody, ctx.request.body, 'synonyms');
    const group = await setFaqSynonyms(term, synonyms);
    ctx.state.log.info({ operator: ctx.state.operator, term }, 'faq synonyms set');
    const body: FaqSynonymView = presentFaqSynonyms(group);
    ctx.body = body;
  });

  router.delete('/synonyms/:term', async (ctx) => {
    const { term } = parseInput(synonymTermParams, ctx.params, 'synonym term');
    await deleteFaqSynonyms(term);
    ctx.state.log.info({ operator: ctx.state.operator, term }, 'faq synonyms deleted');
    ctx.status = 204;
  });

  router.get('/handoffs', async (ctx) => {
    const { state, limit } = parseInput(handoffListQuery, ctx.query, 'handoff query');
    const body: HandoffListResponse = {
      items: (await listHandoffs(state, limit)).map(presentHandoff),
    };
    ctx.body = body;
  });

  router.post('/handoffs/:id/answer', async (ctx) => {
    const { id } = parseInput(handoffIdParams, ctx.params, 'handoff id');
    const { answer } = parseInput(answerHandoffBody, ctx.request.body, 'handoff answer');
    const officialAccount = deps.officialAccount;
    const handoff = await answerHandoff(
      id,
      answer,
      ctx.state.operator,
      now(),
      officialAccount ? (openid, text) => officialAccount.sendText(openid, text) : null,
      ctx.state.log,
    );
    const body: HandoffView = presentHandoff(handoff);
    ctx.body = body;
  });

  router.post('/handoffs/:id/save-to-faq', async (ctx) => {
    const { id } = parseInput(handoffIdParams, ctx.params, 'handoff id');
    const request = parseInput(saveToFaqBody, ctx.request.body, 'save request');
    const entry = await saveHandoffToFaq(id, request);
    ctx.state.log.info(
      { operator: ctx.state.operator, handoffId: id, mode: request.mode, code: entry.code },
      'handoff saved to faq',
    );
    const body: FaqEntryView = presentFaqEntry(entry);
    ctx.body = body;
  });

  router.get('/unanswered', async (ctx) => {
    const period = parseInput(unansweredQuery, ctx.query, 'report period');
    const body: UnansweredQuestionListResponse = {
      items: (await listUnansweredQuestions(period)).map(presentUnanswered),
    };
    ctx.body = body;
  });

  return router;
}
