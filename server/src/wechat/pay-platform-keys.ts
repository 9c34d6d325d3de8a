// The WeChat Pay keys that sign responses and notifications, looked up by the serial that
// WeChat Pay sends in `Wechatpay-Serial`. Two modes exist: platform certificates, which the
// merchant downloads from /v3/certificates and which WeChat Pay rotates, and the newer WeChat Pay
// public key, configured once with its id (`PUB_KEY_ID_...`).
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import type { Logger } from '../logger.js';

/**
 * Where a serial came from. A `response` is WeChat Pay's reply to this server's own request over
 * TLS, so its unknown serial means WeChat Pay switched certificates. Anyone can post a
 * `notification`.
 */
export type SerialOrigin = 'response' | 'notification';

export interface PlatformKeys {
  /**
   * Returns the key of a serial, or null when it is unknown. In certificate mode an unknown
   * serial first triggers a download of the current certificates: for every response, and at
   * most once a minute for notifications.
   */
  keyFor(serial: string, origin: SerialOrigin): Promise<KeyObject | null>;
  /** Serials that verify signatures now, for logs. */
  knownSerials(): string[];
}

/** A platform certificate as read from a file or downloaded and decrypted. */
export interface PlatformCertificate {
  serialNo: string;
  publicKey: KeyObject;
  /** End of validity: the certificate stops verifying after it. */
  validTo: Date;
}

/** Parses every certificate in a PEM text, such as a file with several platform certificates. */
export function parseCertificates(pem: string): PlatformCertificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => {
    const certificate = new X509Certificate(block);
    return {
      serialNo: certificate.serialNumber.toUpperCase(),
      publicKey: certificate.publicKey,
      validTo: new Date(certificate.validTo),
    };
  });
}

/** The WeChat Pay public key mode: one key under one id, configured by the merchant. */
export class PublicKeyMode implements PlatformKeys {
  private readonly key: KeyObject;

  constructor(
    private readonly keyId: string,
    pem: string,
  ) {
    this.key = createPublicKey(pem);
  }

  async keyFor(serial: string): Promise<KeyObject | null> {
    return serial === this.keyId ? this.key : null;
  }

  knownSerials(): string[] {
    return [this.keyId];
  }
}

export interface CertificateModeOptions {
  /** Downloads and decrypts the current certificates from /v3/certificates. */
  download(): Promise<PlatformCertificate[]>;
  /** Certificates configured in a file, usable before the first download. */
  initial: PlatformCertificate[];
  logger: Logger;
  now: () => Date;
  /** Age after which a lookup starts a background download. */
  refreshIntervalMs?: number;
  /** Minimum time between downloads that an unknown serial of a notification triggers. */
  retryIntervalMs?: number;
}

/** Twelve hours: WeChat Pay publishes a new certificate well before it switches to it. */
const DEFAULT_REFRESH_INTERVAL_MS = 12 * 60 * 60 * 1000;
const DEFAULT_RETRY_INTERVAL_MS = 60 * 1000;

/**
 * Platform certificates kept in memory by each server copy. A notification with an unknown
 * serial downloads the current list unless a download started within the retry interval, so a
 * flood of forged serials costs at most one download a minute. A response with an unknown serial
 * always downloads, because only WeChat Pay replies to this server's requests. Concurrent lookups
 * share one download.
 */
export class CertificateMode implements PlatformKeys {
  private readonly certificates = new Map<string, PlatformCertificate>();
  private lastDownloadAt: number | null = null;
  private inFlight: Promise<void> | null = null;
  private readonly refreshIntervalMs: number;
  private readonly retryIntervalMs: number;

  constructor(private readonly options: CertificateModeOptions) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
    this.retryIntervalMs = options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
    for (const certificate of options.initial) this.add(certificate);
  }

  async keyFor(serial: string, origin: SerialOrigin): Promise<KeyObject | null> {
    const now = this.options.now().getTime();
    const known = this.usable(serial, now);
    if (known) {
      if (this.lastDownloadAt === null || now - this.lastDownloadAt >= this.refreshIntervalMs) {
        void this.refresh().catch(() => undefined);
      }
      return known;
    }
    const retryDue =
      this.lastDownloadAt === null || now - this.lastDownloadAt >= this.retryIntervalMs;
    if (origin === 'response' || retryDue) {
      await this.refresh().catch(() => undefined);
    } else if (this.inFlight) {
      await this.inFlight.catch(() => undefined);
    }
    return this.usable(serial, this.options.now().getTime());
  }

  knownSerials(): string[] {
    return [...this.certificates.keys()].sort();
  }

  /** Downloads the current certificates and adds them. Throws when the download fails. */
  refresh(): Promise<void> {
    if (!this.inFlight) {
      this.lastDownloadAt = this.options.now().getTime();
      this.inFlight = this.options
        .download()
        .then((downloaded) => {
          for (const certificate of downloaded) this.add(certificate);
          this.options.logger.info(
            { serials: downloaded.map((certificate) => certificate.serialNo) },
            'wechat pay platform certificates downloaded',
          );
        })
        .catch((error: unknown) => {
          this.options.logger.warn({ err: error }, 'wechat pay certificate download failed');
          throw error;
        })
        .finally(() => {
          this.inFlight = null;
        });
    }
    return this.inFlight;
  }

  private add(certificate: PlatformCertificate): void {
    this.certificates.set(certificate.serialNo.toUpperCase(), certificate);
  }

  private usable(serial: string, now: number): KeyObject | null {
    const certificate = this.certificates.get(serial.toUpperCase());
    if (!certificate || certificate.validTo.getTime() <= now) return null;
    return certificate.publicKey;
  }
}
