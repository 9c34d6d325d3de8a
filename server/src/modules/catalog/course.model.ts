import { Schema, model, type InferSchemaType, type Types } from 'mongoose';
import { markCatalogChanged } from './catalog-revision.model.js';

/** A chapter of a course, embedded because a course has few and they are always read together. */
const chapterSchema = new Schema({
  title: { type: String, required: true },
  /** 1-based order within the course. */
  position: { type: Number, required: true },
});

/**
 * A course of the catalog, keyed by its unique `code`. Every write must derive `searchTokens`,
 * `titleTokens` and `summary` with `prepareCourseFields`, and a write that adds or removes
 * lessons must recount `lessonCount`.
 */
const courseSchema = new Schema(
  {
    code: { type: String, required: true },
    title: { type: String, required: true },
    category: { type: String, required: true },
    /** Subcategory path, `/`-separated when nested, such as `Python`. Null directly under the category. */
    subcategory: { type: String, default: null },
    /** Markdown. */
    description: { type: String, default: '' },
    /** First sentences of the description as plain text, for lists. */
    summary: { type: String, default: '' },
    university: { type: String, default: null },
    instructor: { type: String, default: null },
    prerequisites: { type: String, default: null },
    website: { type: String, default: null },
    /** 1 to 5. */
    difficulty: { type: Number, default: null },
    /** Estimated study time as written in the source (预计学时), such as "50-70 小时". */
    studyTimeText: { type: String, default: null },
    studyHoursMin: { type: Number, default: null },
    studyHoursMax: { type: Number, default: null },
    /** Official course hours (学时) credited on completion. Null until an operator sets them. */
    creditHours: { type: Number, default: null },
    /** Price in fen (1/100 yuan) of a paid course, a whole number of at least 1. Null when free. */
    priceFen: {
      type: Number,
      default: null,
      validate: {
        validator: (value: number | null) =>
          value === null || (Number.isInteger(value) && value >= 1),
        message: 'priceFen must be null or a whole number of fen of at least 1',
      },
    },
    published: { type: Boolean, required: true, default: false },
    chapters: { type: [chapterSchema], default: [] },
    lessonCount: { type: Number, required: true, default: 0 },
    searchTokens: { type: [String], default: [] },
    titleTokens: { type: [String], default: [] },
    /** Origin of an imported course. Null for courses created by an operator. */
    source: {
      type: new Schema(
        {
          kind: { type: String, enum: ['catalog'], required: true },
          path: { type: String, required: true },
          /** Hash of the imported record and the derived-field rules. An equal hash means nothing to update. */
          contentHash: { type: String, required: true },
        },
        { _id: false },
      ),
      default: null,
    },
  },
  { collection: 'courses', timestamps: true },
);

// Every write through this model marks the catalog changed, so the in-memory snapshots of all
// server copies (catalog-snapshot.ts) reload on their next request. Writes made around mongoose
// are picked up when a snapshot reaches its maximum age.
const WRITE_QUERIES = [
  'updateOne',
  'updateMany',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
] as const;
courseSchema.post('save', async () => {
  await markCatalogChanged();
});
courseSchema.post('insertMany', async () => {
  await markCatalogChanged();
});
courseSchema.post('bulkWrite', async () => {
  await markCatalogChanged();
});
courseSchema.post([...WRITE_QUERIES], { document: false, query: true }, async () => {
  await markCatalogChanged();
});

courseSchema.index({ code: 1 }, { unique: true });
courseSchema.index({ published: 1, category: 1, subcategory: 1 });
courseSchema.index({ searchTokens: 1 });

export type Course = InferSchemaType<typeof courseSchema> & {
  _id: Types.ObjectId;
  createdAt: Date;
  updatedAt: Date;
};
export type Chapter = Course['chapters'][number];
export const CourseModel = model('Course', courseSchema);
