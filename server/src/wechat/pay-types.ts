// WeChat Pay APIv3 formats (snake_case JSON) and the typed values that the rest of the server reads.
import { z } from 'zod';

/** Trade states of a transaction, from the order query and the payment notification. */
export const TRADE_STATES = [
  'SUCCESS',
  'REFUND',
  'NOTPAY',
  'CLOSED',
  'REVOKED',
  'USERPAYING',
  'PAYERROR',
] as const;
export type TradeState = (typeof TRADE_STATES)[number];

export const REFUND_STATUSES = ['SUCCESS', 'CLOSED', 'PROCESSING', 'ABNORMAL'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/** A transaction as the order query returns it and the payment notification carries it. */
export interface PayTransaction {
  appId: string;
  mchId: string;
  outTradeNo: string;
  /** WeChat Pay's transaction id; absent until the payer paid. */
  transactionId: string | null;
  tradeState: TradeState;
  /** Order amount in fen; null when WeChat Pay leaves it out. */
  totalFen: number | null;
  /** Amount the payer paid in fen, after coupons. */
  payerTotalFen: number | null;
  currency: string | null;
  payerOpenid: string | null;
  successTime: Date | null;
}

export interface PayRefund {
  mchId: string | null;
  outTradeNo: string;
  transactionId: string;
  outRefundNo: string;
  refundId: string;
  status: RefundStatus;
  refundFen: number;
  totalFen: number;
  successTime: Date | null;
}

const transactionSchema = z.object({
  appid: z.string(),
  mchid: z.string(),
  out_trade_no: z.string(),
  transaction_id: z.string().optional(),
  trade_state: z.enum(TRADE_STATES),
  success_time: z.string().optional(),
  payer: z.object({ openid: z.string().optional() }).optional(),
  amount: z
    .object({
      total: z.number().int().optional(),
      payer_total: z.number().int().optional(),
      currency: z.string().optional(),
    })
    .optional(),
});

const refundSchema = z.object({
  mchid: z.string().optional(),
  out_trade_no: z.string(),
  transaction_id: z.string(),
  out_refund_no: z.string(),
  refund_id: z.string(),
  // The refund API and the refund query call it `status`; the refund notification `refund_status`.
  status: z.enum(REFUND_STATUSES).optional(),
  refund_status: z.enum(REFUND_STATUSES).optional(),
  success_time: z.string().optional(),
  amount: z.object({ total: z.number().int(), refund: z.number().int() }),
});

/** The JSON did not have the documented shape. */
export class PayFormatError extends Error {
  constructor(resourceName: string, problem: string) {
    super(`unexpected WeChat Pay ${resourceName}: ${problem}`);
    this.name = 'PayFormatError';
  }
}

function parseTime(value: string | undefined): Date | null {
  if (value === undefined || value === '') return null;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time;
}

/** Reads a transaction from a query response or a decrypted payment notification. */
export function parseTransaction(value: unknown): PayTransaction {
  const result = transactionSchema.safeParse(value);
  if (!result.success) throw new PayFormatError('transaction', z.prettifyError(result.error));
  const transaction = result.data;
  return {
    appId: transaction.appid,
    mchId: transaction.mchid,
    outTradeNo: transaction.out_trade_no,
    transactionId: transaction.transaction_id || null,
    tradeState: transaction.trade_state,
    totalFen: transaction.amount?.total ?? null,
    payerTotalFen: transaction.amount?.payer_total ?? null,
    currency: transaction.amount?.currency ?? null,
    payerOpenid: transaction.payer?.openid ?? null,
    successTime: parseTime(transaction.success_time),
  };
}

/** Reads a refund from the refund API, the refund query or a decrypted refund notification. */
export function parseRefund(value: unknown): PayRefund {
  const result = refundSchema.safeParse(value);
  if (!result.success) throw new PayFormatError('refund', z.prettifyError(result.error));
  const refund = result.data;
  const status = refund.status ?? refund.refund_status;
  if (status === undefined) throw new PayFormatError('refund', 'no status or refund_status');
  return {
    mchId: refund.mchid ?? null,
    outTradeNo: refund.out_trade_no,
    transactionId: refund.transaction_id,
    outRefundNo: refund.out_refund_no,
    refundId: refund.refund_id,
    status,
    refundFen: refund.amount.refund,
    totalFen: refund.amount.total,
    successTime: parseTime(refund.success_time),
  };
}

/** Formats a time as WeChat Pay's RFC 3339 with China Standard Time, such as `2026-12-04T18:30:00+08:00`. */
export function formatChinaTime(time: Date): string {
  const shifted = new Date(time.getTime() + 8 * 60 * 60 * 1000);
  return `${shifted.toISOString().slice(0, 19)}+08:00`;
}
