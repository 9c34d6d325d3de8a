import { Schema, model, type InferSchemaType, type Types } from 'mongoose';
import { markFaqChangedOnWrite } from './faq-revision.model.js';

/** Segmented words of one question of an entry, for retrieval. */
const questionTokensSchema = new Schema({ words: { type: [String], default: [] } }, { _id: false });

/**
 * An entry of the FAQ knowledge base, keyed by its unique `code` (such as `hours-001`). Every
 * write of the questions must also write `tokens` and `tokensVersion` with `prepareFaqTokens`.
 */
const faqEntrySchema = new Schema(
  {
    code: { type: String, required: true },
    category: { type: String, required: true },
    standardQuestion: { type: String, required: true },
    /** Other wordings of the standard question. */
    paraphrases: { type: [String], default: [] },
    /** Plain text shown to the learner. */
    answer: { type: String, required: true },
    /** Disabled entries are kept but never answered or suggested. */
    enabled: { type: Boolean, required: true, default: true },
    /**
     * Segmented words of each question: the standard question first, then the paraphrases in
     * order. Synonyms are applied when the index is built, so these stay valid when they change.
     */
    tokens: { type: [questionTokensSchema], default: [] },
    /** FAQ_TOKENS_VERSION of the rules that produced `tokens`. */
    tokensVersion: { type: Number, required: true, default: 0 },
  },
  { collection: 'faqEntries', timestamps: true },
);

markFaqChangedOnWrite(faqEntrySchema);
faqEntrySchema.index({ code: 1 }, { unique: true });
faqEntrySchema.index({ enabled: 1 });

export type FaqEntry = InferSchemaType<typeof faqEntrySchema> & {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
};
export const FaqEntryModel = model('FaqEntry', faqEntrySchema);
