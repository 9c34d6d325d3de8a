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

/** Questions the assistant answers from the asker's own records or from the catalog. */
export type AssistantIntent = 'my_hours' | 'required_courses' | 'last_exam' | 'course_search';

/** A course offered in a reply, with the mini-program page that opens it. */
export interface CourseLink {
  courseId: string;
  title: string;
  /** Mini-program page path with its query, such as `packages/course/detail/index?id=…`. */
  pagePath: string;
}

/** A reply computed from the asker's records (hours, courses, exams) or a course search. */
export interface IntentReply {
  kind: 'intent';
  intent: AssistantIntent;
  /** The reply in Chinese, ready to show. */
  text: string;
  /** Courses the reply names, up to three; empty for intents that name none. */
  courses: CourseLink[];
}

/** Response of `POST /api/assistant/ask`. More than 20 questions a minute get 429 `rate_limited`. */
export type AskResponse = AnswerReply | DontKnowReply | TooLongReply | IntentReply;

/** Chat channels that ask the assistant on a sender's behalf, besides the mini-program. */
export type AssistantChannel = 'official_account' | 'bot';

/**
 * Body of `POST /api/assistant/channel-ask`, which the bot process calls with
 * `Authorization: Bearer <BOT_SERVICE_TOKEN>` for each chat message it receives.
 */
export interface ChannelAskRequest {
  channel: 'wechaty';
  /** The chat contact who sent the message. */
  senderId: string;
  /** The group chat the message was sent in; absent for a one-to-one chat. */
  roomId?: string;
  /** The chat message id: a repeated id is answered once. */
  messageId: string;
  text: string;
}

/** What the assistant did with a chat message. */
export type ChannelReplyKind =
  | 'answer'
  | 'dont_know'
  | 'intent'
  | 'too_long'
  | 'rate_limited'
  | 'handoff'
  | 'binding'
  | 'duplicate';

/** Response of `POST /api/assistant/channel-ask`. */
export interface ChannelAskResponse {
  kind: ChannelReplyKind;
  /** The text to send back, in Chinese; null when nothing should be sent (a repeated message id). */
  reply: string | null;
  /** Courses named in the reply, for a puppet that can send mini-program cards. */
  courses: CourseLink[];
  /** The handoff that the message created or joined, for kind `handoff`. */
  handoffId: string | null;
}

/** An operator's answer waiting to be sent by the bot, from `GET /api/assistant/channel-outbox`. */
export interface ChannelOutboxItem {
  handoffId: string;
  senderId: string;
  /** Send to this group chat, mentioning the sender; null sends to the sender directly. */
  roomId: string | null;
  text: string;
}

/** Response of `GET /api/assistant/channel-outbox`. */
export interface ChannelOutboxResponse {
  items: ChannelOutboxItem[];
}

/** Body of `POST /api/assistant/channel-outbox/:handoffId/ack`. */
export interface ChannelOutboxAck {
  delivered: boolean;
  /** Why the bot could not send it, when `delivered` is false. */
  error?: string;
}

/** Response of `POST /api/me/chat-binding-code`. */
export interface ChatBindingCodeResponse {
  /** Eight digits that the learner sends to the bot or the official account to bind that chat. */
  code: string;
  /** ISO 8601 in UTC. */
  expiresAt: string;
}

export type HandoffState = 'queued' | 'answered' | 'delivered' | 'delivery_failed';

/** One exchange before a handoff: a question and what the assistant replied. */
export interface HandoffExchange {
  question: string;
  reply: string;
  askedAt: string;
}

/** A question handed to a person, as the admin API lists it. */
export interface HandoffView {
  id: string;
  channel: AssistantChannel;
  senderId: string;
  roomId: string | null;
  /** The learner the sender is bound to, or null for an unbound sender. */
  learnerId: string | null;
  question: string;
  /** Why it was handed over: the asker asked for a person, or two "don't know" replies in a row. */
  reason: 'person_request' | 'repeated_dont_know';
  /** Up to three exchanges before the handoff, oldest first. */
  context: HandoffExchange[];
  state: HandoffState;
  /** Employee number of the operator who answered. */
  operator: string | null;
  answer: string | null;
  /** Why the answer could not be delivered, for state `delivery_failed`. */
  deliveryError: string | null;
  /**
   * True for an official-account answer in state `delivery_failed` that is sent again when the
   * learner next writes, which reopens the customer-service window.
   */
  redeliveryPending: boolean;
  createdAt: string;
  answeredAt: string | null;
  deliveredAt: string | null;
}

/** Query of `GET /api/admin/assistant/handoffs`; the default state is `queued`. */
export interface HandoffListQuery {
  state?: HandoffState;
  limit?: number;
}

/** Response of `GET /api/admin/assistant/handoffs`, oldest first. */
export interface HandoffListResponse {
  items: HandoffView[];
}

/** Body of `POST /api/admin/assistant/handoffs/:id/answer`. */
export interface AnswerHandoffRequest {
  answer: string;
}

/**
 * Body of `POST /api/admin/assistant/handoffs/:id/save-to-faq`: a new entry, or the handoff's
 * question added as a paraphrase of an existing entry. Omitted texts default to the handoff's
 * question and answer.
 */
export type SaveHandoffToFaqRequest =
  | {
      mode: 'new_entry';
      code: string;
      category: string;
      standardQuestion?: string;
      answer?: string;
    }
  | { mode: 'paraphrase'; entryCode: string; paraphrase?: string };

/** An FAQ entry as the admin API shows it. */
export interface FaqEntryView {
  id: string;
  code: string;
  category: string;
  standardQuestion: string;
  paraphrases: string[];
  answer: string;
  enabled: boolean;
  updatedAt: string;
}

/** Response of `GET /api/admin/assistant/faq`, ordered by code. */
export interface FaqEntryListResponse {
  items: FaqEntryView[];
}

/** Body of `POST /api/admin/assistant/faq`. */
export interface CreateFaqEntryRequest {
  code: string;
  category: string;
  standardQuestion: string;
  paraphrases?: string[];
  answer: string;
  enabled?: boolean;
}

/** Body of `PATCH /api/admin/assistant/faq/:code`: the fields to change. */
export interface UpdateFaqEntryRequest {
  category?: string;
  standardQuestion?: string;
  paraphrases?: string[];
  answer?: string;
  enabled?: boolean;
}

/** A synonym group as the admin API shows it. */
export interface FaqSynonymView {
  term: string;
  synonyms: string[];
}

/** Response of `GET /api/admin/assistant/synonyms`, ordered by term. */
export interface FaqSynonymListResponse {
  items: FaqSynonymView[];
}

/** Body of `PUT /api/admin/assistant/synonyms/:term`. */
export interface SetFaqSynonymsRequest {
  synonyms: string[];
}

/** One line of `GET /api/admin/assistant/unanswered?from=&to=&limit=`. */
export interface UnansweredQuestionView {
  questionKey: string;
  example: string;
  count: number;
  askedForPersonCount: number;
  lastAskedAt: string;
}

export interface UnansweredQuestionListResponse {
  items: UnansweredQuestionView[];
}
