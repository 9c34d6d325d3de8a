// Media files for end-to-end tests of the lesson players, and a static HTTP server for them on
// 127.0.0.1 that serves the byte ranges browsers request for media.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Returns a mono 8-bit PCM WAV file of `seconds` of silence. Chromium plays it in a `<video>`. */
export function silentWav(seconds: number, sampleRate = 8_000): Buffer {
  const dataBytes = Math.round(seconds * sampleRate);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // size of the fmt chunk
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // channels
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate, 28); // bytes per second
  header.writeUInt16LE(1, 32); // bytes per sample frame
  header.writeUInt16LE(8, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  // 8-bit PCM is unsigned, so silence is the midpoint 128.
  return Buffer.concat([header, Buffer.alloc(dataBytes, 0x80)]);
}

/** Returns an SVG image of one document page that shows its page number. */
export function pageSvg(page: number): Buffer {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="800" viewBox="0 0 600 800">' +
    '<rect width="600" height="800" fill="#ffffff" stroke="#999999"/>' +
    `<text x="300" y="400" font-size="64" text-anchor="middle">Page ${page}</text></svg>`;
  return Buffer.from(svg, 'utf8');
}

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

export interface StaticServer {
  /** Origin such as `http://127.0.0.1:40123`. */
  url: string;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Parses a single `bytes=start-end` range, or returns null when it is absent or unusable. */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? '');
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  // "bytes=-N" requests the last N bytes.
  const start = first === '' ? Math.max(0, size - Number(last)) : Number(first);
  const end = first !== '' && last !== '' ? Math.min(Number(last), size - 1) : size - 1;
  return start <= end && start < size ? { start, end } : null;
}

/** Serves `files`, keyed by path, on 127.0.0.1 at a free port. Any other path gets a 404. */
export async function startStaticServer(files: Map<string, StaticFile>): Promise<StaticServer> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push(path);
    const file = files.get(path);
    if (!file || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const size = file.body.length;
    const headers = { 'content-type': file.contentType, 'accept-ranges': 'bytes' };
    const range = parseRange(request.headers.range, size);
    if (request.headers.range && !range) {
      response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: size - 1 };
    response.writeHead(range ? 206 : 200, {
      ...headers,
      'content-length': String(end - start + 1),
      ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    response.end(request.method === 'HEAD' ? undefined : file.body.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
