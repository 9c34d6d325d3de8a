// WeChat Pay for local runs: a merchant key pair and APIv3 key generated for each start, written
// to a temporary folder that stop removes. The sandbox gets the public half; the server gets the
// private key file and the settings that point it at the sandbox.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SandboxPayMerchantInput } from '../sandbox/pay.js';

/** Merchant id and certificate serial of local runs; WeChat Pay's documentation examples. */
const LOCAL_MCH_ID = '1900000109';
const LOCAL_MERCHANT_SERIAL = '5157F09EFDC096DE15EBE81A47057A7232F1B8E1';

export interface LocalMerchant {
  /** The merchant as the sandbox's merchant platform holds it. */
  sandboxMerchant: SandboxPayMerchantInput;
  /** The server's WECHAT_PAY_ variables for a sandbox and a server at these URLs. */
  serverEnv(sandboxUrl: string, serverUrl: string): Record<string, string>;
  /** Deletes the key folder. */
  remove(): void;
}

export function createLocalMerchant(appId: string): LocalMerchant {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const apiV3Key = randomBytes(16).toString('hex');
  const dir = mkdtempSync(path.join(tmpdir(), 'wxlearn-pay-'));
  const privateKeyPath = path.join(dir, 'apiclient_key.pem');
  writeFileSync(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
    mode: 0o600,
  });
  return {
    sandboxMerchant: {
      mchId: LOCAL_MCH_ID,
      appId,
      merchantSerialNo: LOCAL_MERCHANT_SERIAL,
      merchantPublicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      apiV3Key,
    },
    serverEnv: (sandboxUrl, serverUrl) => ({
      WECHAT_PAY_MCH_ID: LOCAL_MCH_ID,
      WECHAT_PAY_SERIAL_NO: LOCAL_MERCHANT_SERIAL,
      WECHAT_PAY_PRIVATE_KEY_PATH: privateKeyPath,
      WECHAT_PAY_APIV3_KEY: apiV3Key,
      WECHAT_PAY_BASE_URL: sandboxUrl,
      WECHAT_PAY_NOTIFY_URL: `${serverUrl}/api/pay/notify`,
    }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
