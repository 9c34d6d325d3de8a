import type { AskResponse } from '@wxlearn/api-types';
import type { AssistantResult } from './assistant.service.js';

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
  }
}

const DONT_KNOW_TEXT = '抱歉，这个问题我暂时回答不了。您可以换个说法再问一次';

/**
 * Renders a reply as the text of one chat message (official account or bot), in Chinese. A
 * "don't know" reply lists its suggestions as questions the learner can send.
 */
export function replyText(result: AssistantResult): string {
  switch (result.kind) {
    case 'answer':
      return result.answer;
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
