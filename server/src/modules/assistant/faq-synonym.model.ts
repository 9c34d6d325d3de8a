import { Schema, model, type InferSchemaType, type Types } from 'mongoose';
import { markFaqChangedOnWrite } from './faq-revision.model.js';

/**
 * A term and the words learners use for it (登录: 登陆, 登入). Retrieval maps each synonym to the
 * term in both the FAQ questions and the learner's question. Operators edit these documents.
 */
const faqSynonymSchema = new Schema(
  {
    term: { type: String, required: true },
    synonyms: { type: [String], default: [] },
  },
  { collection: 'faqSynonyms', timestamps: true },
);

markFaqChangedOnWrite(faqSynonymSchema);
faqSynonymSchema.index({ term: 1 }, { unique: true });

export type FaqSynonym = InferSchemaType<typeof faqSynonymSchema> & {
  _id: Types.ObjectId;
  updatedAt: Date;
};
export const FaqSynonymModel = model('FaqSynonym', faqSynonymSchema);
