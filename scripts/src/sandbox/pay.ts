// WeChat Pay APIv3 for one merchant: JSAPI orders (POST /v3/pay/transactions/jsapi), order query
// (GET /v3/pay/transactions/out-trade-no/{no}?mchid=), close (POST .../{no}/close), refunds
// (POST /v3/refund/domestic/refunds, GET .../refunds/{no}) and the platform certificates
// (GET /v3/certificates). Every request must carry the merchant's RSA signature, and every
// response is signed with the sandbox's platform key, as WeChat Pay does. State is in memory;
// payments happen through the controls in pay-controls.ts, as the payer would pay.
import { randomInt } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { SandboxContext } from './context.js';
import { MAX_BODY_BYTES } from './http-body.js';
import {
  chinaTime,
  encryptResource,
  generatePlatformKey,
  parseAuthorization,
  randomNonce,
  signPlatformMessage,
  verifyMerchantSignature,
  type PlatformKey,
} from './pay-signing.js';

/** WeChat Pay rejects requests whose Authorization timestamp is further than this from its clock. */
const REQUEST_MAX_SKEW_MS = 5 * 60 * 1000;

export const merchantSchema = z.strictObject({
  mchId: z.string().regex(/^\d{6,32}$/, 'must be digits'),
  appId: z.string().min(1).max(32),
  /** Serial of the merchant API certificate that the server's Authorization headers name. */
  merchantSerialNo: z.string().regex(/^[0-9A-Fa-f]{8,64}$/),
  /** Public key of the merchant API key, PEM (SPKI), to check request signatures. */
  merchantPublicKeyPem: z.string().includes('PUBLIC KEY'),
  apiV3Key: z.string().refine((key) => Buffer.byteLength(key) === 32, 'must be 32 bytes'),
  /** Serial in Wechatpay-Serial: the platform certificate's, or the WeChat Pay public key id. */
  signWith: z.enum(['certificate', 'public_key']).default('certificate'),
  /** Completes each refund at once and notifies it; off, refunds wait for a control. */
  autoCompleteRefunds: z.boolean().default(true),
});
export type SandboxPayMerchant = z.infer<typeof merchantSchema>;
/** Merchant settings as callers give them, with defaults left out. */
export type SandboxPayMerchantInput = z.input<typeof merchantSchema>;

export type SandboxTradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';

export interface SandboxPayOrder {
  appId: string;
  mchId: string;
  outTradeNo: string;
  description: string;
  notifyUrl: string;
  /** Order amount in fen, as the merchant placed it. */
  amountFen: number;
  payerOpenid: string;
  /** Epoch milliseconds after which payment is refused; null without time_expire. */
  expiresAtMs: number | null;
  prepayId: string;
  tradeState: SandboxTradeState;
  transactionId: string | null;
  successTimeMs: number | null;
  /** Amount WeChat Pay reports as paid: the order amount unless a test set another. */
  paidFen: number | null;
  /** The request fields that a repeated order with the same number must match. */
  fingerprint: string;
}

export type SandboxRefundStatus = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';

export interface SandboxRefund {
  outRefundNo: string;
  refundId: string;
  outTradeNo: string;
  transactionId: string;
  refundFen: number;
  totalFen: number;
  reason: string;
  notifyUrl: string | null;
  status: SandboxRefundStatus;
  createTimeMs: number;
  successTimeMs: number | null;
}

/** Names of the APIv3 endpoints whose calls the sandbox counts. */
export const PAY_ENDPOINTS = [
  'jsapi',
  'query',
  'close',
  'refund',
  'refund_query',
  'certificates',
] as const;
export type PayEndpoint = (typeof PAY_ENDPOINTS)[number];

export interface PayArea {
  router: Router;
  merchant(): SandboxPayMerchant | null;
  configureMerchant(merchant: SandboxPayMerchant): void;
  /** Every platform key, oldest first; the last one signs. */
  platformKeys(): PlatformKey[];
  /** Key and serial that sign responses and notifications in the merchant's mode. */
  signingKey(): { key: PlatformKey; serial: string };
  /** Adds a new platform key and certificate, which signs from now on. */
  rotatePlatformKey(): PlatformKey;
  order(outTradeNo: string): SandboxPayOrder | undefined;
  refund(outRefundNo: string): SandboxRefund | undefined;
  refundsOf(outTradeNo: string): SandboxRefund[];
  /** Pays an order as its payer would; `paidFen` makes WeChat Pay report another amount. */
  payOrder(outTradeNo: string, paidFen?: number): PayResult;
  /** Moves a processing refund to a final status. */
  completeRefund(
    outRefundNo: string,
    status: Exclude<SandboxRefundStatus, 'PROCESSING'>,
  ): SandboxRefund;
  /** The transaction JSON of the order query and the payment notification. */
  transactionJson(order: SandboxPayOrder): Record<string, unknown>;
  /** The refund JSON of the refund notification. */
  refundNotificationJson(refund: SandboxRefund): Record<string, unknown>;
  /** Called after a refund completes by itself, to notify it. */
  onRefundCompleted(listener: (refund: SandboxRefund) => void): void;
  calls(): Record<PayEndpoint, number>;
  reset(): void;
}

export type PayResult =
  { ok: true; order: SandboxPayOrder } | { ok: false; status: number; message: string };

const jsapiSchema = z.object({
  appid: z.string().min(1).max(32),
  mchid: z.string().min(1).max(32),
  description: z.string().min(1).max(127),
  out_trade_no: z.string().regex(/^[0-9A-Za-z_\-|*]{6,32}$/),
  time_expire: z.string().optional(),
  attach: z.string().max(128).optional(),
  // WeChat Pay requires https; the sandbox also accepts http for servers on 127.0.0.1.
  notify_url: z.url({ protocol: /^https?$/ }),
  amount: z.object({
    total: z.number().int().min(1),
    currency: z.literal('CNY').default('CNY'),
  }),
  payer: z.object({ openid: z.string().min(1).max(128) }),
});

const refundRequestSchema = z
  .object({
    transaction_id: z.string().optional(),
    out_trade_no: z.string().optional(),
    out_refund_no: z.string().regex(/^[0-9A-Za-z_\-|*@]{1,64}$/),
    reason: z.string().max(80).optional(),
    notify_url: z.url({ protocol: /^https?$/ }).optional(),
    amount: z.object({
      refund: z.number().int().min(1),
      total: z.number().int().min(1),
      currency: z.literal('CNY'),
    }),
  })
  .refine((body) => body.transaction_id !== undefined || body.out_trade_no !== undefined, {
    message: 'transaction_id or out_trade_no is required',
  });

function payError(ctx: Context, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.body = { code, message };
}

function randomDigits(length: number): string {
  let digits = String(randomInt(1, 10));
  while (digits.length < length) digits += String(randomInt(0, 10));
  return digits;
}

async function readRawText(ctx: Context): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createPayArea(
  context: SandboxContext,
  initialMerchant: SandboxPayMerchant | null,
): PayArea {
  const { clock, logger } = context;
  let merchant = initialMerchant;
  const keys: PlatformKey[] = [generatePlatformKey(clock.now())];
  const orders = new Map<string, SandboxPayOrder>();
  const refunds = new Map<string, SandboxRefund>();
  const counts = new Map<PayEndpoint, number>();
  const refundListeners: ((refund: SandboxRefund) => void)[] = [];

  const currentKey = (): PlatformKey => keys[keys.length - 1] as PlatformKey;
  const signingKey = () => {
    // The public key mode keeps one key under one id; certificates rotate.
    if (merchant?.signWith === 'public_key') {
      const key = keys[0] as PlatformKey;
      return { key, serial: key.publicKeyId };
    }
    const key = currentKey();
    return { key, serial: key.serialNo };
  };
  const count = (endpoint: PayEndpoint) => counts.set(endpoint, (counts.get(endpoint) ?? 0) + 1);

  function transactionJson(order: SandboxPayOrder): Record<string, unknown> {
    const paid = order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND';
    const descriptions: Record<SandboxTradeState, string> = {
      NOTPAY: '订单未支付',
      SUCCESS: '支付成功',
      CLOSED: '订单已关闭',
      REFUND: '转入退款',
    };
    const total = paid ? (order.paidFen ?? order.amountFen) : order.amountFen;
    return {
      appid: order.appId,
      mchid: order.mchId,
      out_trade_no: order.outTradeNo,
      ...(paid ? { transaction_id: order.transactionId, trade_type: 'JSAPI' } : {}),
      trade_state: order.tradeState,
      trade_state_desc: descriptions[order.tradeState],
      ...(paid ? { bank_type: 'OTHERS', success_time: chinaTime(order.successTimeMs ?? 0) } : {}),
      attach: '',
      payer: { openid: order.payerOpenid },
      amount: {
        total,
        ...(paid ? { payer_total: total } : {}),
        currency: 'CNY',
        payer_currency: 'CNY',
      },
    };
  }

  function refundJson(refund: SandboxRefund): Record<string, unknown> {
    return {
      refund_id: refund.refundId,
      out_refund_no: refund.outRefundNo,
      transaction_id: refund.transactionId,
      out_trade_no: refund.outTradeNo,
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      ...(refund.successTimeMs === null ? {} : { success_time: chinaTime(refund.successTimeMs) }),
      create_time: chinaTime(refund.createTimeMs),
      status: refund.status,
      funds_account: 'AVAILABLE',
      amount: {
        total: refund.totalFen,
        refund: refund.refundFen,
        from: [],
        payer_total: refund.totalFen,
        payer_refund: refund.refundFen,
        settlement_refund: refund.refundFen,
        settlement_total: refund.totalFen,
        discount_refund: 0,
        currency: 'CNY',
      },
    };
  }

  function refundNotificationJson(refund: SandboxRefund): Record<string, unknown> {
    return {
      mchid: merchant?.mchId ?? '',
      out_trade_no: refund.outTradeNo,
      transaction_id: refund.transactionId,
      out_refund_no: refund.outRefundNo,
      refund_id: refund.refundId,
      refund_status: refund.status,
      ...(refund.successTimeMs === null ? {} : { success_time: chinaTime(refund.successTimeMs) }),
      user_received_account: '支付用户零钱',
      amount: {
        total: refund.totalFen,
        refund: refund.refundFen,
        payer_total: refund.totalFen,
        payer_refund: refund.refundFen,
      },
    };
  }

  function completeRefund(
    outRefundNo: string,
    status: Exclude<SandboxRefundStatus, 'PROCESSING'>,
  ): SandboxRefund {
    const refund = refunds.get(outRefundNo);
    if (!refund) throw new Error(`no refund ${outRefundNo}`);
    if (refund.status === 'PROCESSING' || refund.status === 'ABNORMAL') {
      refund.status = status;
      if (status === 'SUCCESS') refund.successTimeMs = clock.now();
    }
    logger.info({ outRefundNo, status: refund.status }, 'sandbox refund completed');
    return refund;
  }

  /** Reads the body and checks the Authorization header; a failure responds 400 or 401 at once. */
  const authenticate: Middleware = async (ctx, next) => {
    const body = await readRawText(ctx);
    if (body === null) return payError(ctx, 400, 'PARAM_ERROR', '请求体过大');
    if (!merchant) {
      return payError(ctx, 401, 'SIGN_ERROR', '商户未配置: POST /sandbox/pay/merchant first');
    }
    const authorization = parseAuthorization(ctx.get('authorization'));
    if (!authorization) return payError(ctx, 401, 'SIGN_ERROR', 'Authorization 格式错误');
    const skew = Math.abs(clock.now() - Number(authorization.timestamp) * 1000);
    const valid =
      authorization.mchid === merchant.mchId &&
      authorization.serialNo.toUpperCase() === merchant.merchantSerialNo.toUpperCase() &&
      skew <= REQUEST_MAX_SKEW_MS &&
      verifyMerchantSignature(
        merchant.merchantPublicKeyPem,
        { method: ctx.method, url: ctx.url, body },
        authorization,
      );
    if (!valid) {
      logger.warn({ path: ctx.path, mchid: authorization.mchid }, 'sandbox pay signature invalid');
      return payError(ctx, 401, 'SIGN_ERROR', '签名错误');
    }
    ctx.state.rawBody = body;
    await next();
  };

  /** Signs the response as WeChat Pay does, whatever its status. */
  const signResponse: Middleware = async (ctx, next) => {
    await next();
    const text =
      ctx.body === undefined || ctx.body === null
        ? ''
        : typeof ctx.body === 'string'
          ? ctx.body
          : JSON.stringify(ctx.body);
    const { key, serial } =
      ctx.path === '/v3/certificates'
        ? { key: currentKey(), serial: currentKey().serialNo }
        : signingKey();
    const timestamp = String(Math.floor(clock.now() / 1000));
    const nonce = randomNonce();
    ctx.set('Wechatpay-Timestamp', timestamp);
    ctx.set('Wechatpay-Nonce', nonce);
    ctx.set('Wechatpay-Serial', serial);
    ctx.set('Wechatpay-Signature', signPlatformMessage(key.privateKey, timestamp, nonce, text));
    ctx.set('Wechatpay-Signature-Type', 'WECHATPAY2-SHA256-RSA2048');
    ctx.set('Request-ID', randomNonce());
    if (text !== '') {
      ctx.type = 'application/json';
      ctx.body = text;
    }
  };

  function parseJson<T>(ctx: Context, schema: z.ZodType<T>): T | undefined {
    let value: unknown;
    try {
      value = JSON.parse(String(ctx.state.rawBody ?? ''));
    } catch {
      payError(ctx, 400, 'PARAM_ERROR', '请求体不是 JSON');
      return undefined;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      payError(ctx, 400, 'PARAM_ERROR', z.prettifyError(parsed.error));
      return undefined;
    }
    return parsed.data;
  }

  const router = new Router({ prefix: '/v3' });
  router.use(signResponse, authenticate);

  router.post('/pay/transactions/jsapi', (ctx) => {
    count('jsapi');
    const request = parseJson(ctx, jsapiSchema);
    if (!request || !merchant) return;
    if (request.mchid !== merchant.mchId) return payError(ctx, 400, 'PARAM_ERROR', 'mchid 错误');
    if (request.appid !== merchant.appId) {
      return payError(ctx, 400, 'APPID_MCHID_NOT_MATCH', 'appid 和 mch_id 不匹配');
    }
    const expiresAtMs = request.time_expire ? Date.parse(request.time_expire) : null;
    if (expiresAtMs !== null && Number.isNaN(expiresAtMs)) {
      return payError(ctx, 400, 'PARAM_ERROR', 'time_expire 格式错误');
    }
    const fingerprint = JSON.stringify([
      request.appid,
      request.description,
      request.amount.total,
      request.payer.openid,
      request.notify_url,
      request.time_expire ?? null,
    ]);
    const existing = orders.get(request.out_trade_no);
    if (existing) {
      if (existing.tradeState === 'SUCCESS' || existing.tradeState === 'REFUND') {
        return payError(ctx, 400, 'ORDERPAID', '该订单已支付');
      }
      if (existing.tradeState === 'CLOSED') return payError(ctx, 400, 'ORDER_CLOSED', '订单已关闭');
      // The same order placed again returns its prepay id; other fields under its number do not.
      if (existing.fingerprint !== fingerprint) {
        return payError(ctx, 400, 'INVALID_REQUEST', '201 商户订单号重复');
      }
      ctx.body = { prepay_id: existing.prepayId };
      return;
    }
    const order: SandboxPayOrder = {
      appId: request.appid,
      mchId: request.mchid,
      outTradeNo: request.out_trade_no,
      description: request.description,
      notifyUrl: request.notify_url,
      amountFen: request.amount.total,
      payerOpenid: request.payer.openid,
      expiresAtMs,
      prepayId: `wx${randomDigits(34)}`,
      tradeState: 'NOTPAY',
      transactionId: null,
      successTimeMs: null,
      paidFen: null,
      fingerprint,
    };
    orders.set(order.outTradeNo, order);
    logger.info(
      { outTradeNo: order.outTradeNo, amountFen: order.amountFen },
      'sandbox order placed',
    );
    ctx.body = { prepay_id: order.prepayId };
  });

  router.get('/pay/transactions/out-trade-no/:no', (ctx) => {
    count('query');
    if (ctx.query.mchid !== merchant?.mchId) return payError(ctx, 400, 'PARAM_ERROR', 'mchid 错误');
    const order = orders.get(ctx.params.no ?? '');
    if (!order) return payError(ctx, 404, 'ORDER_NOT_EXIST', '订单不存在');
    ctx.body = transactionJson(order);
  });

  router.post('/pay/transactions/out-trade-no/:no/close', (ctx) => {
    count('close');
    const request = parseJson(ctx, z.object({ mchid: z.string() }));
    if (!request) return;
    if (request.mchid !== merchant?.mchId) return payError(ctx, 400, 'PARAM_ERROR', 'mchid 错误');
    const order = orders.get(ctx.params.no ?? '');
    if (!order) return payError(ctx, 404, 'ORDER_NOT_EXIST', '订单不存在');
    // NOTE: 'ORDERPAID' is the code of WeChat Pay v2's close API; which code APIv3 sends for
    // closing a paid order is not confirmed here. The server queries the order on any refusal.
    if (order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND') {
      return payError(ctx, 400, 'ORDERPAID', '订单已支付');
    }
    order.tradeState = 'CLOSED';
    logger.info({ outTradeNo: order.outTradeNo }, 'sandbox order closed');
    ctx.status = 204;
  });

  router.post('/refund/domestic/refunds', (ctx) => {
    count('refund');
    const request = parseJson(ctx, refundRequestSchema);
    if (!request) return;
    const order = request.out_trade_no
      ? orders.get(request.out_trade_no)
      : [...orders.values()].find((item) => item.transactionId === request.transaction_id);
    if (!order) return payError(ctx, 404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    if (order.tradeState !== 'SUCCESS' && order.tradeState !== 'REFUND') {
      return payError(ctx, 400, 'INVALID_REQUEST', '订单未支付，不能退款');
    }
    const paidFen = order.paidFen ?? order.amountFen;
    if (request.amount.total !== paidFen) {
      return payError(ctx, 400, 'PARAM_ERROR', '订单金额与原订单不一致');
    }
    const existing = refunds.get(request.out_refund_no);
    if (existing) {
      if (
        existing.outTradeNo !== order.outTradeNo ||
        existing.refundFen !== request.amount.refund
      ) {
        return payError(ctx, 400, 'INVALID_REQUEST', '退款单号重复');
      }
      ctx.body = refundJson(existing);
      return;
    }
    const refunded = [...refunds.values()]
      .filter((refund) => refund.outTradeNo === order.outTradeNo && refund.status !== 'CLOSED')
      .reduce((sum, refund) => sum + refund.refundFen, 0);
    if (refunded + request.amount.refund > paidFen) {
      return payError(ctx, 400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额');
    }
    const refund: SandboxRefund = {
      outRefundNo: request.out_refund_no,
      refundId: `50${randomDigits(30)}`,
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId ?? '',
      refundFen: request.amount.refund,
      totalFen: request.amount.total,
      reason: request.reason ?? '',
      notifyUrl: request.notify_url ?? null,
      status: 'PROCESSING',
      createTimeMs: clock.now(),
      successTimeMs: null,
    };
    refunds.set(refund.outRefundNo, refund);
    order.tradeState = 'REFUND';
    logger.info({ outRefundNo: refund.outRefundNo, refundFen: refund.refundFen }, 'sandbox refund');
    ctx.body = refundJson(refund);
    if (merchant?.autoCompleteRefunds) {
      // WeChat Pay completes a refund after its response to the request; the sandbox right after.
      setImmediate(() => {
        completeRefund(refund.outRefundNo, 'SUCCESS');
        for (const listener of refundListeners) listener(refund);
      });
    }
  });

  router.get('/refund/domestic/refunds/:no', (ctx) => {
    count('refund_query');
    const refund = refunds.get(ctx.params.no ?? '');
    if (!refund) return payError(ctx, 404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
    ctx.body = refundJson(refund);
  });

  router.get('/certificates', (ctx) => {
    count('certificates');
    if (!merchant) return;
    const apiV3Key = merchant.apiV3Key;
    const now = clock.now();
    ctx.body = {
      data: keys
        .filter((key) => key.validTo.getTime() > now)
        .map((key) => ({
          serial_no: key.serialNo,
          effective_time: chinaTime(key.validFrom.getTime()),
          expire_time: chinaTime(key.validTo.getTime()),
          encrypt_certificate: encryptResource(apiV3Key, key.certificatePem, 'certificate'),
        })),
    };
  });

  return {
    router,
    merchant: () => merchant,
    configureMerchant(next) {
      merchant = next;
      logger.info(
        { mchId: next.mchId, signWith: next.signWith },
        'sandbox pay merchant configured',
      );
    },
    platformKeys: () => [...keys],
    signingKey,
    rotatePlatformKey() {
      const key = generatePlatformKey(clock.now());
      keys.push(key);
      logger.info({ serialNo: key.serialNo }, 'sandbox platform certificate rotated');
      return key;
    },
    order: (outTradeNo) => orders.get(outTradeNo),
    refund: (outRefundNo) => refunds.get(outRefundNo),
    refundsOf: (outTradeNo) =>
      [...refunds.values()].filter((refund) => refund.outTradeNo === outTradeNo),
    payOrder(outTradeNo, paidFen) {
      const order = orders.get(outTradeNo);
      if (!order) return { ok: false, status: 404, message: `no sandbox order ${outTradeNo}` };
      if (order.tradeState !== 'NOTPAY') {
        return { ok: false, status: 409, message: `order ${outTradeNo} is ${order.tradeState}` };
      }
      const now = clock.now();
      if (order.expiresAtMs !== null && now > order.expiresAtMs) {
        return { ok: false, status: 409, message: `order ${outTradeNo} expired at time_expire` };
      }
      order.tradeState = 'SUCCESS';
      order.transactionId = `4200${randomDigits(24)}`;
      order.successTimeMs = now;
      order.paidFen = paidFen ?? order.amountFen;
      logger.info({ outTradeNo, paidFen: order.paidFen }, 'sandbox order paid');
      return { ok: true, order };
    },
    completeRefund,
    transactionJson,
    refundNotificationJson,
    onRefundCompleted(listener) {
      refundListeners.push(listener);
    },
    calls() {
      const result = {} as Record<PayEndpoint, number>;
      for (const endpoint of PAY_ENDPOINTS) result[endpoint] = counts.get(endpoint) ?? 0;
      return result;
    },
    reset() {
      orders.clear();
      refunds.clear();
      counts.clear();
      merchant = initialMerchant;
    },
  };
}
