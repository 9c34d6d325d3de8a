// The WeChat Pay APIv3 calls of this server: JSAPI orders, order query and close, refunds and the
// platform certificates. Requests are signed by wechatpay-node-v3 and sent by PayHttp to the
// configured base URL: WeChat Pay's own in production, the sandbox elsewhere.
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JsapiPaymentParams } from '@wxlearn/api-types';
import { ConfigError, type Config } from '../config.js';
import type { Logger } from '../logger.js';
import { decryptResource, randomNonce } from './pay-crypto.js';
import {
  CertificateMode,
  PublicKeyMode,
  parseCertificates,
  type PlatformCertificate,
  type PlatformKeys,
} from './pay-platform-keys.js';
import {
  MerchantPay,
  PayApiError,
  PayHttp,
  PayTransportError,
  WECHAT_PAY_LIBRARY_ORIGIN,
  apiError,
  verifyResponseSignature,
} from './pay-transport.js';
import {
  formatChinaTime,
  parseRefund,
  parseTransaction,
  type PayRefund,
  type PayTransaction,
} from './pay-types.js';

export interface WechatPayClientOptions {
  baseUrl: string;
  appId: string;
  mchId: string;
  /** Serial of the merchant API certificate. */
  serialNo: string;
  privateKeyPem: string;
  apiV3Key: string;
  timeoutMs: number;
  logger: Logger;
}

export interface JsapiOrderInput {
  outTradeNo: string;
  /** Shown to the payer; WeChat Pay allows 127 characters. */
  description: string;
  amountFen: number;
  payerOpenid: string;
  /** WeChat Pay refuses payment after this time. */
  expiresAt: Date;
  notifyUrl: string;
}

export interface RefundInput {
  outTradeNo: string;
  outRefundNo: string;
  refundFen: number;
  /** The order's amount, which WeChat Pay checks. */
  totalFen: number;
  reason: string;
  notifyUrl: string;
}

/** Result of closing an order at WeChat Pay. */
export type CloseOutcome = 'closed' | 'not_closed';

/** WeChat Pay's limit on `description`, in characters. */
const DESCRIPTION_MAX_CHARS = 127;

export class WechatPayClient {
  readonly appId: string;
  readonly mchId: string;
  readonly apiV3Key: string;
  private readonly pay: MerchantPay;

  constructor(
    private readonly options: WechatPayClientOptions,
    private readonly http: PayHttp,
  ) {
    this.appId = options.appId;
    this.mchId = options.mchId;
    this.apiV3Key = options.apiV3Key;
    this.pay = new MerchantPay({
      appid: options.appId,
      mchid: options.mchId,
      serial_no: options.serialNo,
      // The library requires a public key but reads it only to find the serial when none is
      // given. The merchant's own public key is derived from the private key for it.
      publicKey: Buffer.from(
        createPublicKey(options.privateKeyPem).export({ type: 'spki', format: 'pem' }),
      ),
      privateKey: Buffer.from(options.privateKeyPem),
      userAgent: 'wxlearn-server',
    });
    this.pay.createHttp(http);
  }

  /** Places a JSAPI order and returns its prepay id, valid for two hours. */
  async createJsapiOrder(input: JsapiOrderInput): Promise<{ prepayId: string }> {
    const result = await this.pay.transactions_jsapi({
      description: [...input.description].slice(0, DESCRIPTION_MAX_CHARS).join(''),
      out_trade_no: input.outTradeNo,
      time_expire: formatChinaTime(input.expiresAt),
      notify_url: input.notifyUrl,
      amount: { total: input.amountFen, currency: 'CNY' },
      payer: { openid: input.payerOpenid },
    });
    // The library replaces the response with signed payment parameters whose package is
    // `prepay_id=...`; the prepay id is read back from it.
    const data = result.data as { package?: unknown } | undefined;
    const packageValue = typeof data?.package === 'string' ? data.package : '';
    const prepayId = packageValue.startsWith('prepay_id=') ? packageValue.slice(10) : '';
    if (prepayId === '') {
      throw new PayTransportError('/v3/pay/transactions/jsapi', 'the response has no prepay_id');
    }
    return { prepayId };
  }

  /**
   * Signs the parameters of `wx.requestPayment` for a prepay id: RSA-SHA256 with the merchant
   * key over `appId\ntimeStamp\nnonceStr\npackage\n`.
   */
  signPaymentParams(prepayId: string, now: Date): JsapiPaymentParams {
    const timeStamp = String(Math.floor(now.getTime() / 1000));
    const nonceStr = randomNonce();
    const packageValue = `prepay_id=${prepayId}`;
    const paySign = this.pay.signWithMerchantKey(
      `${this.appId}\n${timeStamp}\n${nonceStr}\n${packageValue}\n`,
    );
    return { timeStamp, nonceStr, package: packageValue, signType: 'RSA', paySign };
  }

  /** Queries an order by our order number; null when WeChat Pay has no such order. */
  async queryOrder(outTradeNo: string): Promise<PayTransaction | null> {
    try {
      const result = await this.pay.query({ out_trade_no: outTradeNo });
      return parseTransaction(result.data);
    } catch (error) {
      if (error instanceof PayApiError && error.code === 'ORDER_NOT_EXIST') return null;
      throw error;
    }
  }

  /**
   * Closes an unpaid order so that it can no longer be paid. Returns `not_closed` when WeChat Pay
   * refused, such as for an order that was paid meanwhile: the caller then queries it.
   */
  async closeOrder(outTradeNo: string): Promise<CloseOutcome> {
    try {
      await this.pay.close(outTradeNo);
      return 'closed';
    } catch (error) {
      if (error instanceof PayApiError && error.status < 500) {
        this.options.logger.info(
          { outTradeNo, code: error.code, status: error.status },
          'wechat pay refused to close the order',
        );
        return 'not_closed';
      }
      throw error;
    }
  }

  /** Requests a refund. Repeating it with the same out_refund_no does not refund twice. */
  async createRefund(input: RefundInput): Promise<PayRefund> {
    const result = await this.pay.refunds({
      out_trade_no: input.outTradeNo,
      out_refund_no: input.outRefundNo,
      reason: input.reason,
      notify_url: input.notifyUrl,
      amount: { refund: input.refundFen, total: input.totalFen, currency: 'CNY' },
    });
    return parseRefund(result.data);
  }

  /** Queries a refund by our refund number; null when WeChat Pay has no such refund. */
  async queryRefund(outRefundNo: string): Promise<PayRefund | null> {
    try {
      const result = await this.pay.find_refunds(outRefundNo);
      return parseRefund(result.data);
    } catch (error) {
      if (error instanceof PayApiError && error.code === 'RESOURCE_NOT_EXISTS') return null;
      throw error;
    }
  }

  /**
   * Downloads the platform certificates from /v3/certificates. Each certificate is decrypted
   * with the APIv3 key and its tag checked, and the response must be signed by one of them.
   * wechatpay-node-v3's own download skips the tag check, so it is not used.
   */
  async downloadCertificates(): Promise<PlatformCertificate[]> {
    const path = '/v3/certificates';
    const headers = {
      Accept: 'application/json',
      'User-Agent': 'wxlearn-server',
      Authorization: this.pay.authorizationFor('GET', `${WECHAT_PAY_LIBRARY_ORIGIN}${path}`),
    };
    const response = await this.http.send('GET', path, headers, undefined);
    if (response.status !== 200) throw apiError(path, response);

    const body = JSON.parse(response.text) as { data?: unknown };
    if (!Array.isArray(body.data)) {
      throw new PayTransportError(path, 'the response has no certificate list');
    }
    const certificates = body.data.flatMap((item: unknown) => {
      const entry = item as {
        serial_no?: string;
        encrypt_certificate?: { ciphertext: string; associated_data: string; nonce: string };
      };
      if (!entry.encrypt_certificate) return [];
      const pem = decryptResource(
        {
          ciphertext: entry.encrypt_certificate.ciphertext,
          associatedData: entry.encrypt_certificate.associated_data,
          nonce: entry.encrypt_certificate.nonce,
        },
        this.apiV3Key,
      ).toString('utf8');
      return parseCertificates(pem).filter(
        (certificate) => certificate.serialNo === entry.serial_no?.toUpperCase(),
      );
    });

    // The APIv3 key authenticates the certificates; the response signature must still match one.
    await verifyResponseSignature(
      new PublicKeysOf(certificates),
      path,
      response,
      this.options.logger,
    );
    return certificates;
  }
}

/** Certificates just downloaded, as keys for checking the download's own signature. */
class PublicKeysOf implements PlatformKeys {
  constructor(private readonly certificates: PlatformCertificate[]) {}

  async keyFor(serial: string) {
    const upper = serial.toUpperCase();
    return (
      this.certificates.find((certificate) => certificate.serialNo === upper)?.publicKey ?? null
    );
  }

  knownSerials(): string[] {
    return this.certificates.map((certificate) => certificate.serialNo);
  }
}

/** WeChat Pay's client and the keys that verify its responses and notifications. */
export interface WechatPay {
  client: WechatPayClient;
  keys: PlatformKeys;
  /** URL that WeChat Pay posts the payment notifications of our orders to. */
  notifyUrl: string;
  /** URL of the refund notifications: `refund-notify` beside `notifyUrl`. */
  refundNotifyUrl: string;
}

function readConfiguredFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`${variable}: cannot read ${path}: ${(error as Error).message}`]);
  }
}

/**
 * Builds the WeChat Pay client from configuration, reading the key files, or returns null when
 * the WECHAT_PAY_ settings are absent. Throws ConfigError naming the variable when a file
 * cannot be read or contains no valid key.
 */
export function createWechatPay(config: Config, logger: Logger, now: () => Date): WechatPay | null {
  const {
    WECHAT_PAY_MCH_ID: mchId,
    WECHAT_PAY_SERIAL_NO: serialNo,
    WECHAT_PAY_PRIVATE_KEY_PATH: privateKeyPath,
    WECHAT_PAY_APIV3_KEY: apiV3Key,
    WECHAT_PAY_NOTIFY_URL: notifyUrl,
  } = config;
  if (!mchId || !serialNo || !privateKeyPath || !apiV3Key || !notifyUrl) return null;

  const privateKeyPem = readConfiguredFile('WECHAT_PAY_PRIVATE_KEY_PATH', privateKeyPath);
  try {
    createPublicKey(privateKeyPem);
  } catch (error) {
    throw new ConfigError([
      `WECHAT_PAY_PRIVATE_KEY_PATH: ${privateKeyPath} contains no valid private key: ${(error as Error).message}`,
    ]);
  }

  const httpOptions = {
    baseUrl: config.WECHAT_PAY_BASE_URL,
    timeoutMs: config.WECHAT_TIMEOUT_MS,
    logger,
  };
  // PayHttp needs the keys to verify responses, and certificate mode needs the client to
  // download them, so the keys are looked up through this late-bound reference.
  let keys: PlatformKeys | undefined;
  const lateKeys: PlatformKeys = {
    keyFor: (serial, origin) => (keys ? keys.keyFor(serial, origin) : Promise.resolve(null)),
    knownSerials: () => keys?.knownSerials() ?? [],
  };
  const http = new PayHttp({ ...httpOptions, keys: lateKeys });
  const client = new WechatPayClient(
    { ...httpOptions, appId: config.WECHAT_APP_ID, mchId, serialNo, privateKeyPem, apiV3Key },
    http,
  );

  if (config.WECHAT_PAY_PUBLIC_KEY_ID && config.WECHAT_PAY_PUBLIC_KEY_PATH) {
    const pem = readConfiguredFile('WECHAT_PAY_PUBLIC_KEY_PATH', config.WECHAT_PAY_PUBLIC_KEY_PATH);
    try {
      keys = new PublicKeyMode(config.WECHAT_PAY_PUBLIC_KEY_ID, pem);
    } catch (error) {
      throw new ConfigError([
        `WECHAT_PAY_PUBLIC_KEY_PATH: ${config.WECHAT_PAY_PUBLIC_KEY_PATH} contains no valid public key: ${(error as Error).message}`,
      ]);
    }
  } else {
    const initial = config.WECHAT_PAY_PLATFORM_CERT_PATH
      ? parseCertificates(
          readConfiguredFile('WECHAT_PAY_PLATFORM_CERT_PATH', config.WECHAT_PAY_PLATFORM_CERT_PATH),
        )
      : [];
    if (config.WECHAT_PAY_PLATFORM_CERT_PATH && initial.length === 0) {
      throw new ConfigError([
        `WECHAT_PAY_PLATFORM_CERT_PATH: ${config.WECHAT_PAY_PLATFORM_CERT_PATH} contains no PEM certificate`,
      ]);
    }
    keys = new CertificateMode({
      download: () => client.downloadCertificates(),
      initial,
      logger,
      now,
    });
  }

  return {
    client,
    keys,
    notifyUrl,
    refundNotifyUrl: new URL('refund-notify', notifyUrl).toString(),
  };
}
