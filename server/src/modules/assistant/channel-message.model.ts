import { Schema, model, type Types } from 'mongoose';
import { ASSISTANT_CHANNELS } from './assistant-question.model.js';

/**
 * A chat message the bot sent to the server, keyed by its message id, with the reply. A retry of
 * the same message id gets the stored reply instead of being answered and logged twice.
 * NOTE: nothing deletes old documents yet; FerretDB v1 has no TTL indexes, so a cleanup job is
 * needed before the collection grows large.
 */
export interface ChannelMessage {
  _id: Types.ObjectId;
  channel: (typeof ASSISTANT_CHANNELS)[number];
  messageId: string;
  senderId: string;
  state: 'processing' | 'replied';
  kind: string | null;
  reply: string | null;
  receivedAt: Date;
}

const channelMessageSchema = new Schema<ChannelMessage>(
  {
    channel: { type: String, enum: ASSISTANT_CHANNELS, required: true },
    messageId: { type: String, required: true },
    senderId: { type: String, required: true },
    state: { type: String, enum: ['processing', 'replied'], required: true },
    kind: { type: String, default: null },
    reply: { type: String, default: null },
    receivedAt: { type: Date, required: true },
  },
  { collection: 'channelMessages' },
);

channelMessageSchema.index({ channel: 1, messageId: 1 }, { unique: true });

export const ChannelMessageModel = model<ChannelMessage>('ChannelMessage', channelMessageSchema);
