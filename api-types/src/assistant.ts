// The FAQ assistant: a learner asks a question in Chinese and gets the best FAQ answer, or
// suggested questions when no answer is confident enough.

/** Body of `POST /api/assistant/ask`. */
export interface AskRequest {
  /** The question as typed. Over 200 characters gets a `too_long` reply. */
  question: string;
}

/** A question the learner can ask instead, from the FAQ. */
export interface FaqSuggestion {
  entryId: string;
  /** The entry's standard question. */
  question: string;
}

/** The FAQ entry that answers the question. */
export interface AnswerReply {
  kind: 'answer';
  entryId: string;
  /** The entry's standard question, so the learner sees what was answered. */
  question: string;
  answer: string;
  /** Match confidence from 0 to 1, with three decimals. */
  confidence: number;
}

/** No entry matched confidently: up to three suggestions, possibly none. */
export interface DontKnowReply {
  kind: 'dont_know';
  suggestions: FaqSuggestion[];
}

/** The question is longer than the assistant accepts; `message` asks for a shorter one. */
export interface TooLongReply {
  kind: 'too_long';
  message: string;
}

/** Response of `POST /api/assistant/ask`. More than 20 questions a minute get 429 `rate_limited`. */
export type AskResponse = AnswerReply | DontKnowReply | TooLongReply;

/** Chat channels that ask the assistant on a sender's behalf, besides the mini-program. */
export type AssistantChannel = 'official_account' | 'bot';
