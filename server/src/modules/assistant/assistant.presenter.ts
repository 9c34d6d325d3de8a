import type {
  AskResponse,
  CourseLink,
  FaqEntryView,
  FaqSynonymView,
  HandoffView,
  UnansweredQuestionView,
} from '@wxlearn/api-types';
import { miniProgramLink } from '../official-account/replies.js';
import type { AssistantResult, UnansweredQuestion } from './assistant.service.js';
import type { FaqEntry } from './faq-entry.model.js';
import type { FaqSynonym } from './faq-synonym.model.js';
import type { Handoff } from './handoff.model.js';
import { isRedeliveryPending } from './handoff.service.js';

/** Presents a reply for the HTTP API; the caller turns `rate_limited` into a 429 first. */
export function presentAskResponse(
  result: Exclude<AssistantResult, { kind: 'rate_limited' }>,
): AskResponse {
  switch (result.kind) {
    case 'answer':
      return {
        kind: 'answer',
        entryId: result.entryId,
        question: result.question,
        answer: result.answer,
        confidence: Math.round(result.confidence * 1000) / 1000,
      };
    case 'dont_know':
      return {
        kind: 'dont_know',
        suggestions: result.suggestions.map((suggestion) => ({
          entryId: suggestion.entryId,
          question: suggestion.question,
        })),
      };
    case 'too_long':
      return { kind: 'too_long', message: result.message };
    case 'intent':
      return {
        kind: 'intent',
        intent: result.intent,
        text: result.text,
        courses: result.courses.map((course) => ({ ...course })),
      };
  }
}

const DONT_KNOW_TEXT = '抱歉，这个问题我暂时回答不了。您可以换个说法再问一次';

/** Rendering options of a chat reply's course links. */
export interface ReplyTextOptions {
  /**
   * The mini-program's AppID, for channels that render `<a data-miniprogram-appid>` as a link that
   * opens the page (the official account). Without it, each course shows its page path.
   */
  miniProgramAppId?: string;
}

function courseLine(course: CourseLink, position: number, options: ReplyTextOptions): string {
  if (options.miniProgramAppId !== undefined) {
    const link = miniProgramLink(options.miniProgramAppId, course.title, course.pagePath);
    return `${position + 1}. ${link}`;
  }
  return `${position + 1}. ${course.title}\n   小程序页面：${course.pagePath}`;
}

/**
 * Renders a reply as the text of one chat message (official account or bot), in Chinese. A
 * "don't know" reply lists its suggestions as questions the learner can send, and an intent reply
 * lists its courses with their mini-program links.
 */
export function replyText(result: AssistantResult, options: ReplyTextOptions = {}): string {
  switch (result.kind) {
    case 'answer':
      return result.answer;
    case 'intent':
      return [
        result.text,
        ...result.courses.map((course, position) => courseLine(course, position, options)),
      ].join('\n');
    case 'dont_know':
      if (result.suggestions.length === 0) {
        return `${DONT_KNOW_TEXT}，或者联系本单位培训管理员。`;
      }
      return [
        `${DONT_KNOW_TEXT}。您是不是想问：`,
        ...result.suggestions.map(
          (suggestion, position) => `${position + 1}. ${suggestion.question}`,
        ),
      ].join('\n');
    case 'too_long':
    case 'rate_limited':
      return result.message;
  }
}

export function presentHandoff(handoff: Handoff): HandoffView {
  return {
    id: handoff._id.toHexString(),
    channel: handoff.channel,
    senderId: handoff.senderId,
    roomId: handoff.roomId,
    learnerId: handoff.learnerId?.toHexString() ?? null,
    question: handoff.question,
    reason: handoff.reason,
    context: handoff.context.map((exchange) => ({
      question: exchange.question,
      reply: exchange.reply,
      askedAt: exchange.askedAt.toISOString(),
    })),
    state: handoff.state,
    operator: handoff.operator,
    answer: handoff.answer,
    deliveryError: handoff.deliveryError,
    redeliveryPending: isRedeliveryPending(handoff),
    createdAt: handoff.createdAt.toISOString(),
    answeredAt: handoff.answeredAt?.toISOString() ?? null,
    deliveredAt: handoff.deliveredAt?.toISOString() ?? null,
  };
}

export function presentFaqEntry(entry: FaqEntry): FaqEntryView {
  return {
    id: entry._id.toHexString(),
    code: entry.code,
    category: entry.category,
    standardQuestion: entry.standardQuestion,
    paraphrases: [...entry.paraphrases],
    answer: entry.answer,
    enabled: entry.enabled,
    updatedAt: entry.updatedAt.toISOString(),
  };
}

export function presentFaqSynonyms(group: FaqSynonym): FaqSynonymView {
  return { term: group.term, synonyms: [...group.synonyms] };
}

export function presentUnanswered(item: UnansweredQuestion): UnansweredQuestionView {
  return { ...item, lastAskedAt: item.lastAskedAt.toISOString() };
}
