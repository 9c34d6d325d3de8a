import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  OfficialAccountCrypto,
  OfficialAccountCryptoError,
  computeSignature,
  decodeAesKey,
} from './official-account-crypto.js';

// Parameters and messages of the decryption and encryption samples that ship with WeChat's
// WXBizMsgCrypt sample code. The expected outputs were checked with `openssl enc -aes-256-cbc
// -nopad` and Python's hashlib, independently of the code under test.
const SAMPLE_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const SAMPLE_INBOUND = {
  token: 'spamtest',
  appId: 'wx2c2769f8efd9abc2',
  timestamp: '1409735669',
  nonce: '1320562132',
  msgSignature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa',
  encrypted:
    'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=',
};
const SAMPLE_OUTBOUND = {
  appId: 'wxb11529c136998cb6',
  randomPrefix: 'aaaabbbbccccdddd',
  message: '我是中文abcd123',
  encrypted:
    'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==',
};

/**
 * Frames encrypted with `openssl enc -aes-256-cbc -nopad` under SAMPLE_AES_KEY for AppID
 * wx2c2769f8efd9abc2, with the random prefix `0123456789abcdef`. The dots in each message make the
 * frame need exactly the named padding under WeChat's 32-byte block.
 */
const OPENSSL_PADDING_VECTORS = [
  {
    padding: 1,
    message: '<xml><Content>padding 1..................</Content></xml>',
    encrypted:
      'Q3stYC6hdFzMh9T8HCvyDPJVhdGNYpRuWvIs6zImL8xjQthblHA5GVlRBalQbTjSba3+2cwTd61kvN7aCv5iBom7seg5LCdc3vbjoCV142klckyYyjii0rqX9WOLQB9/',
  },
  {
    padding: 16,
    message: '<xml><Content>padding 16..</Content></xml>',
    encrypted:
      'Q3stYC6hdFzMh9T8HCvyDIilQM3wbVgm+Wm08NkNIeSeEOW/yUG1aBkiHvj5DwU9/KdByLTLFGluR9QxDqwtXRdFKdrLJSYkry2c2zxm0+9/d/4MOZruwmN7XJ96QivZ',
  },
  {
    padding: 17,
    message: '<xml><Content>padding 17.</Content></xml>',
    encrypted:
      'Q3stYC6hdFzMh9T8HCvyDMpFuhPD5N/Ai/9+u/M5y1X26SAToZeGGq5+Eu5We7n/p2egrZsFK7TfTZzRz1csTLWef9o02oJSbURlrnXINTX2qtR1VnjmmsqWp2H195S8',
  },
  {
    padding: 31,
    message: '<xml><Content>padding 31...................</Content></xml>',
    encrypted:
      'Q3stYC6hdFzMh9T8HCvyDPszbRSiYUMcWZC1Y6XyNthW4S7aHtNBfukAtcz3wQRUNOvUz4paQgdL24FW7vU6HzUl/7dC8nRhyzmWtPZliUoPTRkKZlYX3j+Dv2ka6dsY1sHqVI1pA6tagF4zKcrubgr6jSWuP59KCLtoXPXhR1M=',
  },
  {
    padding: 32,
    message: '<xml><Content>padding 32..................</Content></xml>',
    encrypted:
      'Q3stYC6hdFzMh9T8HCvyDCTb0jqnUvjprynNz/8UA94StseymRQHuEVo20kU8o7NN7MgXOcqLKSaWcMVPQo9ZY9UkaT0sKS0KHxlq/aBr9MehjyQMHNSD8Rw3Vv/eRWlCJ5HzKPrufuWO0hB8Klz69GRFm5Dj+aRapdpkY9lXVk=',
  },
];

function sampleCrypto(appId = SAMPLE_INBOUND.appId): OfficialAccountCrypto {
  return new OfficialAccountCrypto({
    token: SAMPLE_INBOUND.token,
    encodingAesKey: SAMPLE_AES_KEY,
    appId,
  });
}

/** Encrypts raw frame bytes with plain AES-256-CBC, bypassing the padding under test. */
function encryptRaw(plaintext: Buffer): string {
  const key = decodeAesKey(SAMPLE_AES_KEY);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]).toString('base64');
}

/** Builds an unpadded frame: 16-byte prefix, 4-byte big-endian length, message, AppID. */
function frame(message: string, appId: string, declaredLength?: number): Buffer {
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(declaredLength ?? body.length);
  return Buffer.concat([Buffer.from('0123456789abcdef'), length, body, Buffer.from(appId)]);
}

/** Pads a frame with `padding` bytes of `value` until its length is a multiple of 16. */
function withPadding(bytes: Buffer, padding: number, value = padding): Buffer {
  return Buffer.concat([bytes, Buffer.alloc(padding, value)]);
}

function expectFailure(action: () => unknown, reason: string): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(OfficialAccountCryptoError);
  expect((caught as OfficialAccountCryptoError).reason).toBe(reason);
}

describe('computeSignature', () => {
  it('matches the msg_signature of the WeChat sample', () => {
    const signature = computeSignature(
      SAMPLE_INBOUND.token,
      SAMPLE_INBOUND.timestamp,
      SAMPLE_INBOUND.nonce,
      SAMPLE_INBOUND.encrypted,
    );

    expect(signature).toBe(SAMPLE_INBOUND.msgSignature);
  });

  it('matches a URL signature computed by hashlib', () => {
    expect(computeSignature('wxlearnToken2024', '1714000000', '829301')).toBe(
      'e4f27a8b9414e9241c9c18bf694d0e2f95b152ee',
    );
  });
});

describe('OfficialAccountCrypto signatures', () => {
  const crypto = sampleCrypto();

  it('accepts the sample msg_signature', () => {
    const valid = crypto.verifyMessageSignature(
      SAMPLE_INBOUND.msgSignature,
      SAMPLE_INBOUND.timestamp,
      SAMPLE_INBOUND.nonce,
      SAMPLE_INBOUND.encrypted,
    );

    expect(valid).toBe(true);
  });

  it('rejects a tampered msg_signature', () => {
    const tampered = `0${SAMPLE_INBOUND.msgSignature.slice(1)}`;

    const valid = crypto.verifyMessageSignature(
      tampered,
      SAMPLE_INBOUND.timestamp,
      SAMPLE_INBOUND.nonce,
      SAMPLE_INBOUND.encrypted,
    );

    expect(valid).toBe(false);
  });

  it('rejects a signature over a tampered ciphertext', () => {
    const valid = crypto.verifyMessageSignature(
      SAMPLE_INBOUND.msgSignature,
      SAMPLE_INBOUND.timestamp,
      SAMPLE_INBOUND.nonce,
      `A${SAMPLE_INBOUND.encrypted.slice(1)}`,
    );

    expect(valid).toBe(false);
  });

  it('rejects a missing or truncated URL signature', () => {
    const signature = computeSignature(SAMPLE_INBOUND.token, '1714000000', '829301');

    expect(crypto.verifyUrlSignature(signature, '1714000000', '829301')).toBe(true);
    expect(crypto.verifyUrlSignature(undefined, '1714000000', '829301')).toBe(false);
    expect(crypto.verifyUrlSignature(signature.slice(0, 39), '1714000000', '829301')).toBe(false);
    expect(crypto.verifyUrlSignature(signature, '1714000001', '829301')).toBe(false);
  });
});

describe('OfficialAccountCrypto.decrypt', () => {
  it('decrypts the WeChat sample message', () => {
    const message = sampleCrypto().decrypt(SAMPLE_INBOUND.encrypted);

    expect(message).toMatch(/^<xml>/);
    expect(message).toContain('<MsgId>6054768590064713728</MsgId>');
    expect(message).toMatch(/<\/xml>$/);
  });

  for (const vector of OPENSSL_PADDING_VECTORS) {
    it(`decrypts an openssl frame with ${vector.padding} bytes of padding`, () => {
      expect(sampleCrypto().decrypt(vector.encrypted)).toBe(vector.message);
    });
  }

  it('decrypts every padding length from 1 to 32', () => {
    const crypto = sampleCrypto();
    for (let padding = 1; padding <= 32; padding += 1) {
      // Dots fill the message so that the frame plus this padding is a whole number of AES blocks.
      const base = frame('<xml></xml>', SAMPLE_INBOUND.appId);
      const fill = (16 - ((base.length + padding) % 16)) % 16;
      const message = `<xml>${'.'.repeat(fill)}</xml>`;
      const encrypted = encryptRaw(withPadding(frame(message, SAMPLE_INBOUND.appId), padding));

      expect(crypto.decrypt(encrypted), `padding ${padding}`).toBe(message);
    }
  });

  it('rejects a frame for another AppID', () => {
    expectFailure(
      () => sampleCrypto('wx0000000000000000').decrypt(SAMPLE_INBOUND.encrypted),
      'app_id_mismatch',
    );
  });

  it('rejects padding of 0 bytes', () => {
    const bytes = frame('<xml>0</xml>', SAMPLE_INBOUND.appId);
    const fill = 16 - (bytes.length % 16);
    const encrypted = encryptRaw(withPadding(bytes, fill, 0));

    expectFailure(() => sampleCrypto().decrypt(encrypted), 'invalid_padding');
  });

  it('rejects padding of 33 bytes', () => {
    const bytes = frame('<xml>33</xml>', SAMPLE_INBOUND.appId);
    const fill = (16 - ((bytes.length + 33) % 16)) % 16;
    const encrypted = encryptRaw(withPadding(Buffer.concat([bytes, Buffer.alloc(fill, 0x20)]), 33));

    expectFailure(() => sampleCrypto().decrypt(encrypted), 'invalid_padding');
  });

  it('rejects padding bytes that differ', () => {
    const bytes = frame('<xml>mixed</xml>', SAMPLE_INBOUND.appId);
    const fill = (16 - ((bytes.length + 20) % 16)) % 16;
    const padded = withPadding(Buffer.concat([bytes, Buffer.alloc(fill, 0x20)]), 20);
    padded[padded.length - 5] = 19;

    expectFailure(() => sampleCrypto().decrypt(encryptRaw(padded)), 'invalid_padding');
  });

  it('rejects a declared length longer than the frame', () => {
    const bytes = frame('<xml/>', SAMPLE_INBOUND.appId, 4096);
    const padding = 32 - (bytes.length % 32);

    expectFailure(
      () => sampleCrypto().decrypt(encryptRaw(withPadding(bytes, padding))),
      'invalid_frame',
    );
  });

  it('rejects ciphertext that is not whole AES blocks', () => {
    expectFailure(
      () => sampleCrypto().decrypt(Buffer.alloc(20).toString('base64')),
      'invalid_length',
    );
  });

  it('rejects text that is not base64', () => {
    expectFailure(() => sampleCrypto().decrypt('not base64!'), 'invalid_base64');
  });
});

describe('OfficialAccountCrypto.encrypt', () => {
  it('produces the ciphertext of the WeChat sample', () => {
    const crypto = new OfficialAccountCrypto({
      token: 'pamtest',
      encodingAesKey: SAMPLE_AES_KEY,
      appId: SAMPLE_OUTBOUND.appId,
    });

    const encrypted = crypto.encrypt(
      SAMPLE_OUTBOUND.message,
      Buffer.from(SAMPLE_OUTBOUND.randomPrefix),
    );

    expect(encrypted).toBe(SAMPLE_OUTBOUND.encrypted);
  });

  it('pads to a multiple of 32 bytes', () => {
    const crypto = sampleCrypto();
    for (let length = 0; length < 70; length += 1) {
      const ciphertext = Buffer.from(crypto.encrypt('x'.repeat(length)), 'base64');

      expect(ciphertext.length % 32, `message of ${length} bytes`).toBe(0);
    }
  });

  it('round-trips a Chinese reply', () => {
    const crypto = sampleCrypto();
    const reply = '<xml><Content><![CDATA[绑定成功]]></Content></xml>';

    expect(crypto.decrypt(crypto.encrypt(reply))).toBe(reply);
  });
});
