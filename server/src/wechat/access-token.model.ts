import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * The current access token of one WeChat app, shared by every server copy. Only the copy that
 * holds the app's refresh lease writes it.
 */
const accessTokenSchema = new Schema(
  {
    appId: { type: String, required: true },
    /** Never returned to clients or logged. */
    token: { type: String, required: true },
    /** When WeChat stops accepting the token: the fetch's start plus `expires_in`. */
    expiresAt: { type: Date, required: true },
    /** When the response carrying this token arrived. */
    fetchedAt: { type: Date, required: true },
  },
  { collection: 'wechatAccessTokens' },
);

accessTokenSchema.index({ appId: 1 }, { unique: true });

export type StoredAccessToken = InferSchemaType<typeof accessTokenSchema>;
export const AccessTokenModel = model('WechatAccessToken', accessTokenSchema);

/**
 * The right of one server copy to call stable_token for an app. A copy takes it by inserting the
 * app's document, so the unique index on appId lets exactly one insert succeed. FerretDB v1 runs a
 * conditional update as a read and a separate write, so two copies could both "win" a lease kept
 * as fields of the token document.
 */
const accessTokenLeaseSchema = new Schema(
  {
    appId: { type: String, required: true },
    /** Host, process id and a random suffix of the holding store, for the logs. */
    owner: { type: String, required: true },
    /** After this time any copy may delete the lease and take a new one. */
    leaseUntil: { type: Date, required: true },
  },
  { collection: 'wechatAccessTokenLeases' },
);

accessTokenLeaseSchema.index({ appId: 1 }, { unique: true });

export const AccessTokenLeaseModel = model('WechatAccessTokenLease', accessTokenLeaseSchema);
