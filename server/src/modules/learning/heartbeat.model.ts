import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A heartbeat as received, insert-only. Every received heartbeat is kept, rejected ones included,
 * because whether a heartbeat counts depends on what arrived before it. The unique
 * (sessionId, seq) index keeps the first copy of each seq and turns resent copies into no-ops.
 */
const heartbeatSchema = new Schema(
  {
    sessionId: { type: Schema.Types.ObjectId, required: true },
    learnerId: { type: Schema.Types.ObjectId, required: true },
    seq: { type: Number, required: true },
    clientMs: { type: Number, required: true },
    /** Server time of the request that carried it, the same for the whole batch. */
    receivedAt: { type: Date, required: true },
    position: { type: Number, default: null },
    playbackRate: { type: Number, default: null },
    paused: { type: Boolean, default: false },
    hidden: { type: Boolean, default: false },
    resumed: { type: Boolean, default: false },
  },
  { collection: 'learningHeartbeats' },
);

heartbeatSchema.index({ sessionId: 1, seq: 1 }, { unique: true });

export type StoredHeartbeat = InferSchemaType<typeof heartbeatSchema>;
export const HeartbeatModel = model('LearningHeartbeat', heartbeatSchema);
