import {
  X509Certificate,
  createDecipheriv,
  createSign,
  createVerify,
  generateKeyPairSync,
  randomBytes,
} from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestJson, startTestSandbox, TEST_APP_ID, type TestSandbox } from './test-support.js';

const MCH_ID = '1900000109';
const MERCHANT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';
const merchantKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const strangerKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const API_V3_KEY = randomBytes(16).toString('hex');

interface Platform {
  signingSerial: string;
  certificates: { serialNo: string; certificatePem: string; publicKeyPem: string }[];
}

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Records every notification posted to it and responds with `status`. */
async function startReceiver(status = 204) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/pay/notify`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let sandbox: TestSandbox;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeEach(async () => {
  sandbox = await startTestSandbox();
  receiver = await startReceiver();
  const configured = await send('POST', '/sandbox/pay/merchant', {
    body: {
      mchId: MCH_ID,
      appId: TEST_APP_ID,
      merchantSerialNo: MERCHANT_SERIAL,
      merchantPublicKeyPem: merchantKeys.publicKey.export({ type: 'spki', format: 'pem' }),
      apiV3Key: API_V3_KEY,
      autoCompleteRefunds: false,
    },
    signed: false,
  });
  expect(configured.status).toBe(200);
});

afterEach(async () => {
  await receiver.close();
  await sandbox.close();
});

interface SendOptions {
  body?: unknown;
  /** Sign with the merchant key (default), a stranger's key, or not at all. */
  signed?: boolean | 'stranger';
}

/** Sends a request, signed as the merchant would sign it at the sandbox clock. */
async function send(method: 'GET' | 'POST', pathAndQuery: string, options: SendOptions = {}) {
  const body = options.body === undefined ? '' : JSON.stringify(options.body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== '') headers['content-type'] = 'application/json';
  const signed = options.signed ?? true;
  if (signed) {
    const timestamp = String(Math.floor(sandbox.sandbox.now() / 1000));
    const nonce = randomBytes(8).toString('hex');
    const key = signed === 'stranger' ? strangerKeys.privateKey : merchantKeys.privateKey;
    const signature = createSign('RSA-SHA256')
      .update(`${method}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`)
      .sign(key, 'base64');
    headers.authorization = `WECHATPAY2-SHA256-RSA2048 mchid="${MCH_ID}",nonce_str="${nonce}",timestamp="${timestamp}",serial_no="${MERCHANT_SERIAL}",signature="${signature}"`;
  }
  const response = await fetch(sandbox.url + pathAndQuery, {
    method,
    headers,
    body: body === '' ? undefined : body,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>,
  };
}

async function platform(): Promise<Platform> {
  return (await requestJson(`${sandbox.url}/sandbox/pay/platform`)).body as unknown as Platform;
}

/** Checks Wechatpay-Signature over `timestamp\nnonce\nbody\n` with the named platform key. */
async function verifiesWithPlatform(
  headers: { get(name: string): string | null },
  body: string,
): Promise<boolean> {
  const serial = headers.get('wechatpay-serial');
  const key = (await platform()).certificates.find((item) => item.serialNo === serial);
  if (!key) return false;
  return createVerify('RSA-SHA256')
    .update(`${headers.get('wechatpay-timestamp')}\n${headers.get('wechatpay-nonce')}\n${body}\n`)
    .verify(key.publicKeyPem, headers.get('wechatpay-signature') ?? '', 'base64');
}

function decrypt(resource: { ciphertext: string; associated_data: string; nonce: string }): string {
  const data = Buffer.from(resource.ciphertext, 'base64');
  const decipher = createDecipheriv(
    'aes-256-gcm',
    Buffer.from(API_V3_KEY),
    Buffer.from(resource.nonce),
  );
  decipher.setAuthTag(data.subarray(data.length - 16));
  decipher.setAAD(Buffer.from(resource.associated_data));
  return Buffer.concat([
    decipher.update(data.subarray(0, data.length - 16)),
    decipher.final(),
  ]).toString('utf8');
}

function jsapiOrder(outTradeNo: string, overrides: Record<string, unknown> = {}) {
  return {
    appid: TEST_APP_ID,
    mchid: MCH_ID,
    description: '付费课程',
    out_trade_no: outTradeNo,
    notify_url: receiver.url,
    amount: { total: 9900, currency: 'CNY' },
    payer: { openid: 'oPayer000000000000000000001' },
    ...overrides,
  };
}

async function placeOrder(outTradeNo: string, overrides: Record<string, unknown> = {}) {
  const response = await send('POST', '/v3/pay/transactions/jsapi', {
    body: jsapiOrder(outTradeNo, overrides),
  });
  expect(response.status).toBe(200);
  return response;
}

function control(path: string, body: unknown = {}) {
  return requestJson(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('merchant signatures', () => {
  it('rejects an unsigned request with 401 SIGN_ERROR', async () => {
    const response = await send('POST', '/v3/pay/transactions/jsapi', {
      body: jsapiOrder('WXLUNSIGNED01'),
      signed: false,
    });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('SIGN_ERROR');
  });

  it('rejects a request signed with another key', async () => {
    const response = await send('POST', '/v3/pay/transactions/jsapi', {
      body: jsapiOrder('WXLSTRANGER01'),
      signed: 'stranger',
    });
    expect(response.status).toBe(401);
  });

  it('rejects a request signed more than 5 minutes ago', async () => {
    const timestamp = String(Math.floor(sandbox.sandbox.now() / 1000) - 301);
    const path = `/v3/pay/transactions/out-trade-no/WXLOLD0001?mchid=${MCH_ID}`;
    const signature = createSign('RSA-SHA256')
      .update(`GET\n${path}\n${timestamp}\nNONCE\n\n`)
      .sign(merchantKeys.privateKey, 'base64');
    const response = await fetch(sandbox.url + path, {
      headers: {
        authorization: `WECHATPAY2-SHA256-RSA2048 mchid="${MCH_ID}",nonce_str="NONCE",timestamp="${timestamp}",serial_no="${MERCHANT_SERIAL}",signature="${signature}"`,
      },
    });
    expect(response.status).toBe(401);
  });

  it('signs every response with the platform key', async () => {
    const response = await placeOrder('WXLSIGNED0001');
    expect(await verifiesWithPlatform(response.headers, response.text)).toBe(true);
    const rejected = await send(
      'GET',
      `/v3/pay/transactions/out-trade-no/NOPE000001?mchid=${MCH_ID}`,
    );
    expect(rejected.status).toBe(404);
    expect(await verifiesWithPlatform(rejected.headers, rejected.text)).toBe(true);
  });
});

describe('JSAPI orders', () => {
  it('returns the same prepay id for the same order placed again', async () => {
    const first = await placeOrder('WXLAGAIN00001');
    const second = await placeOrder('WXLAGAIN00001');
    expect(second.body.prepay_id).toBe(first.body.prepay_id);
  });

  it('rejects other fields under a used order number', async () => {
    await placeOrder('WXLREUSED0001');
    const response = await send('POST', '/v3/pay/transactions/jsapi', {
      body: jsapiOrder('WXLREUSED0001', { amount: { total: 1, currency: 'CNY' } }),
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('INVALID_REQUEST');
  });

  it('rejects another app id', async () => {
    const response = await send('POST', '/v3/pay/transactions/jsapi', {
      body: jsapiOrder('WXLOTHERAPP01', { appid: 'wxsomeoneelse0001' }),
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('APPID_MCHID_NOT_MATCH');
  });

  it('reports NOTPAY, then SUCCESS after the payer pays', async () => {
    await placeOrder('WXLQUERY00001');
    const path = `/v3/pay/transactions/out-trade-no/WXLQUERY00001?mchid=${MCH_ID}`;
    expect((await send('GET', path)).body.trade_state).toBe('NOTPAY');
    const paid = await control('/sandbox/pay/orders/WXLQUERY00001/pay', { notify: 'drop' });
    expect(paid.status).toBe(200);
    const query = await send('GET', path);
    expect(query.body.trade_state).toBe('SUCCESS');
    expect(query.body.transaction_id).toMatch(/^4200\d{24}$/);
    expect(query.body.amount).toMatchObject({ total: 9900, payer_total: 9900 });
  });

  it('closes an unpaid order, which then cannot be paid', async () => {
    await placeOrder('WXLCLOSE00001');
    const close = await send('POST', '/v3/pay/transactions/out-trade-no/WXLCLOSE00001/close', {
      body: { mchid: MCH_ID },
    });
    expect(close.status).toBe(204);
    const pay = await control('/sandbox/pay/orders/WXLCLOSE00001/pay');
    expect(pay.status).toBe(409);
  });

  it('refuses to close a paid order', async () => {
    await placeOrder('WXLCLOSEPAID1');
    await control('/sandbox/pay/orders/WXLCLOSEPAID1/pay', { notify: 'drop' });
    const close = await send('POST', '/v3/pay/transactions/out-trade-no/WXLCLOSEPAID1/close', {
      body: { mchid: MCH_ID },
    });
    expect(close.status).toBe(400);
    expect(close.body.code).toBe('ORDERPAID');
  });

  it('refuses payment after time_expire', async () => {
    const expires = new Date(sandbox.sandbox.now() + 60_000);
    const timeExpire = `${new Date(expires.getTime() + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
    await placeOrder('WXLEXPIRE0001', { time_expire: timeExpire });
    sandbox.advance(61_000);
    const pay = await control('/sandbox/pay/orders/WXLEXPIRE0001/pay');
    expect(pay.status).toBe(409);
  });
});

describe('platform certificates', () => {
  it('lists certificates that the APIv3 key decrypts', async () => {
    const response = await send('GET', '/v3/certificates');
    expect(response.status).toBe(200);
    const [entry] = response.body.data as {
      serial_no: string;
      encrypt_certificate: { ciphertext: string; associated_data: string; nonce: string };
    }[];
    const certificate = new X509Certificate(decrypt(entry!.encrypt_certificate));
    expect(certificate.serialNumber.toUpperCase()).toBe(entry!.serial_no);
    expect(response.headers.get('wechatpay-serial')).toBe(entry!.serial_no);
  });

  it('signs with a new certificate after rotation and keeps listing the old one', async () => {
    const before = (await platform()).signingSerial;
    await control('/sandbox/pay/rotate-certificate');
    const after = await platform();
    expect(after.signingSerial).not.toBe(before);
    expect(after.certificates.map((item) => item.serialNo)).toContain(before);
    const listed = await send('GET', '/v3/certificates');
    expect((listed.body.data as unknown[]).length).toBe(2);
  });
});

describe('payment notifications', () => {
  it('posts a signed, encrypted TRANSACTION.SUCCESS to the notify URL', async () => {
    await placeOrder('WXLNOTIFY0001');
    const outcome = await control('/sandbox/pay/orders/WXLNOTIFY0001/pay');
    expect((outcome.body.attempts as { status: number }[])[0]?.status).toBe(204);
    const [notification] = receiver.received;
    const headers = new Headers(notification!.headers as Record<string, string>);
    expect(await verifiesWithPlatform(headers, notification!.body)).toBe(true);
    const envelope = JSON.parse(notification!.body) as {
      event_type: string;
      resource: { ciphertext: string; associated_data: string; nonce: string };
    };
    expect(envelope.event_type).toBe('TRANSACTION.SUCCESS');
    const transaction = JSON.parse(decrypt(envelope.resource)) as Record<string, unknown>;
    expect(transaction.out_trade_no).toBe('WXLNOTIFY0001');
    expect(transaction.trade_state).toBe('SUCCESS');
  });

  it('reports the amount a test sets', async () => {
    await placeOrder('WXLONEFEN0001');
    await control('/sandbox/pay/orders/WXLONEFEN0001/pay', { amountFen: 1 });
    const envelope = JSON.parse(receiver.received[0]!.body) as {
      resource: { ciphertext: string; associated_data: string; nonce: string };
    };
    const transaction = JSON.parse(decrypt(envelope.resource)) as { amount: { total: number } };
    expect(transaction.amount.total).toBe(1);
  });

  it('sends repeats, concurrently when asked', async () => {
    await placeOrder('WXLREPEAT0001');
    const outcome = await control('/sandbox/pay/orders/WXLREPEAT0001/pay', {
      repeat: 5,
      concurrent: true,
    });
    expect(outcome.body.attempts).toHaveLength(5);
    expect(receiver.received).toHaveLength(5);
  });

  it('sends nothing when the notification is dropped', async () => {
    await placeOrder('WXLDROP000001');
    await control('/sandbox/pay/orders/WXLDROP000001/pay', { notify: 'drop' });
    expect(receiver.received).toHaveLength(0);
  });

  it('alters the ciphertext to another order number under a valid signature', async () => {
    await placeOrder('WXLTAMPER0001');
    await control('/sandbox/pay/orders/WXLTAMPER0001/pay', {
      tamper: 'ciphertext',
      tamperOutTradeNo: 'WXLVICTIM0001',
    });
    const [notification] = receiver.received;
    const headers = new Headers(notification!.headers as Record<string, string>);
    expect(await verifiesWithPlatform(headers, notification!.body)).toBe(true);
    const envelope = JSON.parse(notification!.body) as {
      resource: { ciphertext: string; associated_data: string; nonce: string };
    };
    expect(() => decrypt(envelope.resource)).toThrow();
    // Without the tag check, counter mode yields the other order number.
    const data = Buffer.from(envelope.resource.ciphertext, 'base64');
    const decipher = createDecipheriv(
      'aes-256-gcm',
      Buffer.from(API_V3_KEY),
      Buffer.from(envelope.resource.nonce),
    );
    decipher.setAAD(Buffer.from(envelope.resource.associated_data));
    const unchecked = decipher.update(data.subarray(0, data.length - 16)).toString('utf8');
    expect(unchecked).toContain('"out_trade_no":"WXLVICTIM0001"');
  });

  it('signs under an unpublished serial when asked', async () => {
    await placeOrder('WXLSTRANGE001');
    await control('/sandbox/pay/orders/WXLSTRANGE001/pay', { unknownSerial: true });
    const serial = receiver.received[0]!.headers['wechatpay-serial'];
    const published = (await platform()).certificates.map((item) => item.serialNo);
    expect(published).not.toContain(serial);
  });

  it('builds a spaced notification without sending it', async () => {
    await placeOrder('WXLBUILD00001');
    await control('/sandbox/pay/orders/WXLBUILD00001/pay', { notify: 'drop' });
    const built = await control('/sandbox/pay/orders/WXLBUILD00001/notification', {
      format: 'spaced',
    });
    const body = built.body.body as string;
    expect(body).toContain('"event_type": "TRANSACTION.SUCCESS"');
    expect(JSON.stringify(JSON.parse(body))).not.toBe(body);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('refunds', () => {
  async function paidOrder(outTradeNo: string) {
    await placeOrder(outTradeNo);
    await control(`/sandbox/pay/orders/${outTradeNo}/pay`, { notify: 'drop' });
  }

  function requestRefund(outTradeNo: string, outRefundNo: string, refundFen: number) {
    return send('POST', '/v3/refund/domestic/refunds', {
      body: {
        out_trade_no: outTradeNo,
        out_refund_no: outRefundNo,
        reason: '测试退款',
        notify_url: receiver.url,
        amount: { refund: refundFen, total: 9900, currency: 'CNY' },
      },
    });
  }

  it('accepts a refund as PROCESSING and notifies it when completed', async () => {
    await paidOrder('WXLREFUND0001');
    const response = await requestRefund('WXLREFUND0001', 'WXLREFUND0001R1', 9900);
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('PROCESSING');
    const completed = await control('/sandbox/pay/refunds/WXLREFUND0001R1/complete');
    expect(completed.status).toBe(200);
    const envelope = JSON.parse(receiver.received[0]!.body) as {
      event_type: string;
      resource: { ciphertext: string; associated_data: string; nonce: string };
    };
    expect(envelope.event_type).toBe('REFUND.SUCCESS');
    const refund = JSON.parse(decrypt(envelope.resource)) as Record<string, unknown>;
    expect(refund.refund_status).toBe('SUCCESS');
    expect(refund.out_refund_no).toBe('WXLREFUND0001R1');
  });

  it('rejects refunds beyond the paid amount', async () => {
    await paidOrder('WXLREFUND0002');
    expect((await requestRefund('WXLREFUND0002', 'WXLREFUND0002R1', 5000)).status).toBe(200);
    const second = await requestRefund('WXLREFUND0002', 'WXLREFUND0002R2', 5000);
    expect(second.status).toBe(400);
    expect(second.body.code).toBe('INVALID_REQUEST');
  });

  it('returns the same refund for the same refund number', async () => {
    await paidOrder('WXLREFUND0003');
    const first = await requestRefund('WXLREFUND0003', 'WXLREFUND0003R1', 9900);
    const again = await requestRefund('WXLREFUND0003', 'WXLREFUND0003R1', 9900);
    expect(again.body.refund_id).toBe(first.body.refund_id);
  });

  it('refuses a refund of an unpaid order', async () => {
    await placeOrder('WXLREFUND0004');
    const response = await requestRefund('WXLREFUND0004', 'WXLREFUND0004R1', 100);
    expect(response.status).toBe(400);
  });
});
