import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/** Channels of a question: the mini-program (a signed-in learner) or a chat channel. */
export const ASSISTANT_CHANNELS = ['mini_program', 'official_account', 'bot'] as const;

/** Outcomes of a question. */
export const ASSISTANT_OUTCOMES = ['answered', 'dont_know', 'too_long', 'intent'] as const;

/**
 * One question asked to the assistant and what it replied, insert-only except for
 * `askedForPerson`. The log feeds the report of unanswered questions and the tuning of the FAQ.
 */
const assistantQuestionSchema = new Schema(
  {
    channel: { type: String, enum: ASSISTANT_CHANNELS, required: true },
    /** The signed-in learner, for channel `mini_program`; null otherwise. */
    learnerId: { type: Schema.Types.ObjectId, default: null },
    /** The chat sender id (openid or chat contact id) for the other channels; null otherwise. */
    senderId: { type: String, default: null },
    /**
     * The group chat the question was asked in, or null for a one-to-one chat and the
     * mini-program. Rows logged before this field existed lack it, and the filter `roomId: null`
     * matches them as one-to-one chats.
     */
    roomId: { type: String, default: null },
    /** The question as asked, cut to its first MAX_QUESTION_CHARS characters when too long. */
    question: { type: String, required: true },
    /** Normalised question that groups repeats in the report (`questionKey` in faq-text.ts). */
    questionKey: { type: String, required: true },
    outcome: { type: String, enum: ASSISTANT_OUTCOMES, required: true },
    /** The entry whose answer was sent, or null. */
    entryId: { type: Schema.Types.ObjectId, default: null },
    entryCode: { type: String, default: null },
    /** Confidence of the best match from 0 to 1, or null when nothing matched or not searched. */
    confidence: { type: Number, default: null },
    /** The intent answered from the asker's records or the catalog, for outcome `intent`. */
    intent: { type: String, default: null },
    /** Codes of the questions suggested with a "don't know" reply. */
    suggestedCodes: { type: [String], default: [] },
    /** Whether this question was itself a request for a person (转人工). */
    personRequest: { type: Boolean, required: true, default: false },
    /** Set when the asker requested a person right after this question. */
    askedForPerson: { type: Boolean, required: true, default: false },
    createdAt: { type: Date, required: true },
  },
  { collection: 'assistantQuestions' },
);

assistantQuestionSchema.index({ learnerId: 1, createdAt: -1 });
// Reads of one conversation filter channel, sender and room by equality. FerretDB v1.24 pushes
// equality on strings, numbers, ObjectIds, booleans and dates down to PostgreSQL, but not on null,
// so a one-to-one chat's `roomId: null` is checked after the index has narrowed the rows by sender.
assistantQuestionSchema.index({ channel: 1, senderId: 1, roomId: 1, createdAt: -1 });
assistantQuestionSchema.index({ outcome: 1, createdAt: 1 });

export type AssistantQuestion = InferSchemaType<typeof assistantQuestionSchema> & {
  _id: Types.ObjectId;
};
export const AssistantQuestionModel = model('AssistantQuestion', assistantQuestionSchema);
