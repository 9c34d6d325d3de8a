import { generatePlatformKey } from '@wxlearn/scripts/sandbox/pay-signing.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  CertificateMode,
  parseCertificates,
  type PlatformCertificate,
} from './pay-platform-keys.js';

const logger = pino({ level: 'silent' });
const START = Date.UTC(2026, 11, 4, 10, 0, 0);
const first = generatePlatformKey(START);
const second = generatePlatformKey(START);

function certificateOf(pem: string): PlatformCertificate {
  const [certificate] = parseCertificates(pem);
  if (!certificate) throw new Error('no certificate in PEM');
  return certificate;
}

/** Builds a certificate store whose clock and downloads the test controls. */
function store(downloadable: PlatformCertificate[], initial: PlatformCertificate[] = []) {
  let nowMs = START;
  let downloads = 0;
  const mode = new CertificateMode({
    download: async () => {
      downloads += 1;
      return downloadable;
    },
    initial,
    logger,
    now: () => new Date(nowMs),
    refreshIntervalMs: 12 * 60 * 60 * 1000,
    retryIntervalMs: 60_000,
  });
  return {
    mode,
    downloads: () => downloads,
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

describe('parseCertificates', () => {
  it('reads every certificate of a PEM file', () => {
    const certificates = parseCertificates(`${first.certificatePem}\n${second.certificatePem}`);
    expect(certificates.map((certificate) => certificate.serialNo)).toEqual([
      first.serialNo,
      second.serialNo,
    ]);
  });

  it('reads the validity end', () => {
    expect(certificateOf(first.certificatePem).validTo.getTime()).toBeGreaterThan(START);
  });
});

describe('CertificateMode', () => {
  it('downloads an unknown serial once', async () => {
    const { mode, downloads } = store([certificateOf(second.certificatePem)]);
    expect(await mode.keyFor(second.serialNo, 'notification')).not.toBeNull();
    expect(await mode.keyFor(second.serialNo, 'notification')).not.toBeNull();
    expect(downloads()).toBe(1);
  });

  it('matches serials case-insensitively', async () => {
    const { mode } = store([], [certificateOf(first.certificatePem)]);
    expect(await mode.keyFor(first.serialNo.toLowerCase(), 'notification')).not.toBeNull();
  });

  it('downloads at most once a minute for unknown serials', async () => {
    const { mode, downloads, advance } = store([certificateOf(first.certificatePem)]);
    expect(await mode.keyFor('FORGED01', 'notification')).toBeNull();
    expect(await mode.keyFor('FORGED02', 'notification')).toBeNull();
    expect(downloads()).toBe(1);
    advance(60_000);
    expect(await mode.keyFor('FORGED03', 'notification')).toBeNull();
    expect(downloads()).toBe(2);
  });

  it('downloads for every unknown serial of a response', async () => {
    const { mode, downloads } = store([certificateOf(first.certificatePem)]);
    expect(await mode.keyFor('FORGED01', 'notification')).toBeNull();
    expect(await mode.keyFor(second.serialNo, 'response')).toBeNull();
    expect(downloads()).toBe(2);
  });

  it('shares one download among concurrent lookups', async () => {
    const { mode, downloads } = store([certificateOf(second.certificatePem)]);
    const keys = await Promise.all(
      Array.from({ length: 10 }, () => mode.keyFor(second.serialNo, 'notification')),
    );
    expect(keys.every((key) => key !== null)).toBe(true);
    expect(downloads()).toBe(1);
  });

  it('refuses a certificate after its validity ends', async () => {
    const { mode, advance } = store([], [certificateOf(first.certificatePem)]);
    advance(first.validTo.getTime() - START + 1);
    expect(await mode.keyFor(first.serialNo, 'notification')).toBeNull();
  });

  it('lists its serials', async () => {
    const { mode } = store(
      [certificateOf(second.certificatePem)],
      [certificateOf(first.certificatePem)],
    );
    await mode.refresh();
    expect(mode.knownSerials()).toEqual([first.serialNo, second.serialNo].sort());
  });
});
