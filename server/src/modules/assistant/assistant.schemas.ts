import { z } from 'zod';

/**
 * Body of `POST /api/assistant/ask`. The question has no maximum length here: a long one gets a
 * polite `too_long` reply instead of a validation error, and the body size limit bounds it.
 */
export const askBody = z.strictObject({
  question: z.string().trim().min(1, 'must not be blank'),
});

/** Body of `POST /api/assistant/channel-ask`. Chat ids are opaque strings of the puppet. */
export const channelAskBody = z.strictObject({
  channel: z.literal('wechaty'),
  senderId: z.string().min(1).max(256),
  roomId: z.string().min(1).max(256).optional(),
  messageId: z.string().min(1).max(256),
  text: z.string().max(4000, 'must be at most 4000 characters'),
});

/**
 * Body of `POST /api/assistant/channel-group-codes`: a group message that did not mention the bot,
 * sent only so that binding codes quoted in it are revoked.
 */
export const channelGroupCodesBody = z.strictObject({
  channel: z.literal('wechaty'),
  senderId: z.string().min(1).max(256),
  roomId: z.string().min(1).max(256),
  text: z.string().max(4000, 'must be at most 4000 characters'),
});

export const handoffIdParams = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{24}$/, 'must be a 24-character hex id'),
});

/** Body of `POST /api/assistant/channel-outbox/:id/ack`. */
export const outboxAckBody = z.strictObject({
  delivered: z.boolean(),
  error: z.string().max(500).optional(),
});

const questionText = z.string().trim().min(1, 'must not be blank').max(500);
const answerText = z.string().trim().min(1, 'must not be blank').max(4000);
/**
 * An entry code such as `hours-001`, `领域1-3f2a9c01d4` or `1.2`: 1 to 64 Unicode letters, digits,
 * `_`, `.` or `-`. It is the FAQ importer's code rule (CODE_PATTERN in the scripts' FAQ import), so
 * every imported entry can be managed here. It rejects `/`, spaces and control characters, which
 * would break the entry's URL. In a URL path, non-ASCII codes are percent-encoded.
 */
const entryCode = z
  .string()
  .regex(/^[\p{L}\p{N}_.-]{1,64}$/u, 'must be 1 to 64 letters, digits, "_", "." or "-"');
const category = z.string().trim().min(1, 'must not be blank').max(64);

/** Query of `GET /api/admin/assistant/handoffs`. */
export const handoffListQuery = z.strictObject({
  state: z.enum(['queued', 'answered', 'delivered', 'delivery_failed']).default('queued'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const answerHandoffBody = z.strictObject({ answer: answerText });

export const saveToFaqBody = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('new_entry'),
    code: entryCode,
    category,
    standardQuestion: questionText.optional(),
    answer: answerText.optional(),
  }),
  z.strictObject({
    mode: z.literal('paraphrase'),
    entryCode,
    paraphrase: questionText.optional(),
  }),
]);

export const faqCodeParams = z.strictObject({ code: entryCode });

export const faqListQuery = z.strictObject({
  enabled: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
});

export const createFaqEntryBody = z.strictObject({
  code: entryCode,
  category,
  standardQuestion: questionText,
  paraphrases: z.array(questionText).max(50).default([]),
  answer: answerText,
  enabled: z.boolean().default(true),
});

export const updateFaqEntryBody = z
  .strictObject({
    category: category.optional(),
    standardQuestion: questionText.optional(),
    paraphrases: z.array(questionText).max(50).optional(),
    answer: answerText.optional(),
    enabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'must change at least one field');

export const synonymTermParams = z.strictObject({
  term: z.string().trim().min(1).max(32),
});

export const setSynonymsBody = z.strictObject({
  synonyms: z.array(z.string().trim().min(1).max(32)).max(50),
});

/** Query of `GET /api/admin/assistant/unanswered`: an ISO period `[from, to)`. */
export const unansweredQuery = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).transform((value) => new Date(value)),
    to: z.iso.datetime({ offset: true }).transform((value) => new Date(value)),
    limit: z.coerce.number().int().min(1).max(200).default(20),
  })
  .refine((query) => query.from < query.to, { message: 'from must be before to', path: ['to'] });
