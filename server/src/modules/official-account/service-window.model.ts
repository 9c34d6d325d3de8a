import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A follower's customer-service window: WeChat accepts customer-service messages to a follower for
 * 48 hours after their last message or interaction, and at most 5 of them per interaction.
 */
const serviceWindowSchema = new Schema(
  {
    openid: { type: String, required: true },
    /** WeChat's CreateTime of the follower's last message or interaction. */
    lastInboundAt: { type: Date, required: true },
    /** Customer-service messages sent (or being sent) since then. */
    sentSinceInbound: { type: Number, required: true },
  },
  { collection: 'serviceWindows' },
);

serviceWindowSchema.index({ openid: 1 }, { unique: true });

export type ServiceWindow = InferSchemaType<typeof serviceWindowSchema>;
export const ServiceWindowModel = model('ServiceWindow', serviceWindowSchema);
