import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A message or event received by the webhook. WeChat retries a delivery that gets no reply within
 * 5 seconds, so the unique `dedupKey` lets only the first copy be processed, and the stored reply
 * lets a retry return the same reply.
 */
const inboundMessageSchema = new Schema(
  {
    /**
     * `msg:<FromUserName>:<MsgId>` for messages and
     * `event:<FromUserName>:<CreateTime>:<Event>[:<EventKey>]` for events, each part URI-encoded.
     * Only the unique index makes a retry collide: FerretDB v1 does not apply a conditional
     * update atomically, so a find-then-insert check would let two concurrent retries through.
     */
    dedupKey: { type: String, required: true },
    openid: { type: String, required: true },
    msgType: { type: String, required: true },
    event: { type: String, default: null },
    /** WeChat's CreateTime of the message. */
    createTime: { type: Date, required: true },
    receivedAt: { type: Date, required: true },
    /**
     * `processing` until the reply is known, then `replied` when it was returned in time. A
     * message whose processing outlived the reply deadline is `deferred`, and its reply goes out
     * as a customer-service message.
     */
    state: { type: String, enum: ['processing', 'replied', 'deferred'], required: true },
    /** Plaintext XML of the passive reply, or null for none. Encrypted anew for each request. */
    replyXml: { type: String, default: null },
    finishedAt: { type: Date, default: null },
  },
  { collection: 'inboundMessages' },
);

inboundMessageSchema.index({ dedupKey: 1 }, { unique: true });
// NOTE: records are never pruned. Deduplication only needs the last minutes, so a cleanup job on
// receivedAt can remove older ones (FerretDB v1 has no TTL indexes).
inboundMessageSchema.index({ receivedAt: 1 });

export type InboundMessage = InferSchemaType<typeof inboundMessageSchema>;
export const InboundMessageModel = model('InboundMessage', inboundMessageSchema);
