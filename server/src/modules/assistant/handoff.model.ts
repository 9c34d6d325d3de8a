import type { AssistantChannel } from '@wxlearn/api-types';
import { Schema, model, type Types } from 'mongoose';

/** Chat channels whose questions can be handed to a person. */
const HANDOFF_CHANNELS: readonly AssistantChannel[] = ['official_account', 'bot'];

export const HANDOFF_STATES = ['queued', 'answered', 'delivered', 'delivery_failed'] as const;
export type HandoffStateName = (typeof HANDOFF_STATES)[number];

export const HANDOFF_REASONS = ['person_request', 'repeated_dont_know'] as const;
export type HandoffReason = (typeof HANDOFF_REASONS)[number];

export interface HandoffExchangeDoc {
  question: string;
  reply: string;
  askedAt: Date;
}

export interface Handoff {
  _id: Types.ObjectId;
  channel: AssistantChannel;
  senderId: string;
  roomId: string | null;
  learnerId: Types.ObjectId | null;
  question: string;
  reason: HandoffReason;
  context: HandoffExchangeDoc[];
  state: HandoffStateName;
  /**
   * `open:<channel>:<senderId>:<conversation>` while the handoff is queued, where the conversation
   * is `private` or `room:<roomId>`, and `closed:<id>` after an operator answers it. Its unique
   * index lets each sender have one queued handoff per conversation at a time.
   */
  openKey: string;
  operator: string | null;
  answer: string | null;
  /** Failed tries of the bot to send the answer. */
  deliveryAttempts: number;
  deliveryError: string | null;
  /** Count of official-account redeliveries tried after the learner wrote again, sent or not. */
  redeliveryAttempts: number;
  createdAt: Date;
  answeredAt: Date | null;
  deliveredAt: Date | null;
}

const exchangeSchema = new Schema<HandoffExchangeDoc>(
  {
    question: { type: String, required: true },
    reply: { type: String, required: true },
    askedAt: { type: Date, required: true },
  },
  { _id: false },
);

/**
 * A chat question handed to a person. It moves queued → answered → delivered or
 * delivery_failed: an operator answers it through the admin API, then the answer reaches the
 * learner as an official-account customer-service message or through the bot's outbox.
 */
const handoffSchema = new Schema<Handoff>(
  {
    channel: { type: String, enum: HANDOFF_CHANNELS, required: true },
    senderId: { type: String, required: true },
    roomId: { type: String, default: null },
    learnerId: { type: Schema.Types.ObjectId, default: null },
    question: { type: String, required: true },
    reason: { type: String, enum: HANDOFF_REASONS, required: true },
    context: { type: [exchangeSchema], default: [] },
    state: { type: String, enum: HANDOFF_STATES, required: true },
    openKey: { type: String, required: true },
    operator: { type: String, default: null },
    answer: { type: String, default: null },
    deliveryAttempts: { type: Number, required: true, default: 0 },
    deliveryError: { type: String, default: null },
    redeliveryAttempts: { type: Number, required: true, default: 0 },
    createdAt: { type: Date, required: true },
    answeredAt: { type: Date, default: null },
    deliveredAt: { type: Date, default: null },
  },
  { collection: 'handoffs' },
);

handoffSchema.index({ openKey: 1 }, { unique: true });
handoffSchema.index({ state: 1, createdAt: 1 });
handoffSchema.index({ channel: 1, state: 1, answeredAt: 1 });
handoffSchema.index({ channel: 1, senderId: 1, state: 1 });

export const HandoffModel = model<Handoff>('Handoff', handoffSchema);

/** A handoff saved into the FAQ, insert-only: the unique handoffId lets each be saved once. */
const handoffFaqSaveSchema = new Schema({
  handoffId: { type: Schema.Types.ObjectId, required: true },
  savedAt: { type: Date, required: true },
});

handoffFaqSaveSchema.index({ handoffId: 1 }, { unique: true });

export const HandoffFaqSaveModel = model('HandoffFaqSave', handoffFaqSaveSchema, 'handoffFaqSaves');

/**
 * The one answer a handoff keeps, insert-only: the unique handoffId lets exactly one of several
 * concurrent operators answer. FerretDB v1 does not apply conditional updates atomically, so the
 * handoff's own `state` cannot decide that.
 */
const handoffAnswerSchema = new Schema({
  handoffId: { type: Schema.Types.ObjectId, required: true },
  operator: { type: String, required: true },
  answeredAt: { type: Date, required: true },
});

handoffAnswerSchema.index({ handoffId: 1 }, { unique: true });

export const HandoffAnswerModel = model('HandoffAnswer', handoffAnswerSchema, 'handoffAnswers');

/**
 * A claim on one official-account redelivery of a handoff answer, insert-only: the unique
 * (handoffId, attempt) lets one of several concurrent learner messages send the answer.
 */
const handoffRedeliverySchema = new Schema({
  handoffId: { type: Schema.Types.ObjectId, required: true },
  /** 1 for the first redelivery, counting up from the handoff's `redeliveryAttempts`. */
  attempt: { type: Number, required: true },
  claimedAt: { type: Date, required: true },
});

handoffRedeliverySchema.index({ handoffId: 1, attempt: 1 }, { unique: true });

export const HandoffRedeliveryModel = model(
  'HandoffRedelivery',
  handoffRedeliverySchema,
  'handoffRedeliveries',
);
