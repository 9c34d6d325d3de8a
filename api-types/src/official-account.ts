/** Response of `POST /api/me/official-account/link`. */
export interface OfficialAccountLinkResponse {
  /**
   * Image of a one-time QR code. Scanning it with WeChat follows the official account (if needed)
   * and joins it to the signed-in learner.
   */
  qrUrl: string;
  /** When the QR code stops working, ISO 8601 in UTC. */
  expiresAt: string;
}
