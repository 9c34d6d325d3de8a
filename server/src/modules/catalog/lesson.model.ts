import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

export const LESSON_TYPES = ['article', 'document', 'video'] as const;

/**
 * Content of a lesson. Which fields are set depends on the lesson type: `markdown` and
 * `wordCount` for an article, `url` and `pageCount` for a document, `url` and `durationSeconds`
 * for a video.
 */
const lessonContentSchema = new Schema(
  {
    markdown: { type: String, default: null },
    wordCount: { type: Number, default: null },
    url: { type: String, default: null },
    pageCount: { type: Number, default: null },
    durationSeconds: { type: Number, default: null },
  },
  { _id: false },
);

/** A lesson of a course chapter. Chapters are embedded in their course document. */
const lessonSchema = new Schema(
  {
    courseId: { type: Schema.Types.ObjectId, required: true },
    chapterId: { type: Schema.Types.ObjectId, required: true },
    /** 1-based order within the chapter. */
    position: { type: Number, required: true },
    title: { type: String, required: true },
    type: { type: String, enum: LESSON_TYPES, required: true },
    content: { type: lessonContentSchema, required: true },
    /** An optional lesson does not count toward completing its course. */
    optional: { type: Boolean, default: false },
  },
  { collection: 'lessons', timestamps: true },
);

lessonSchema.index({ chapterId: 1, position: 1 }, { unique: true });
lessonSchema.index({ courseId: 1 });

export type Lesson = InferSchemaType<typeof lessonSchema> & { _id: Types.ObjectId };
export type LessonContentFields = InferSchemaType<typeof lessonContentSchema>;
export const LessonModel = model('Lesson', lessonSchema);
