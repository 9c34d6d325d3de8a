import { Schema, model } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureIndexes } from '../src/db/connection.js';
import { GroupInsert } from '../src/db/group-insert.js';
import { startTestServer, type TestServer } from './harness.js';

const keyedSchema = new Schema({ key: { type: String, required: true }, caller: Number });
keyedSchema.index({ key: 1 }, { unique: true });
const KeyedModel = model('GroupInsertTestDoc', keyedSchema, 'groupInsertTestDocs');

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await ensureIndexes(server.deps.logger);
});

afterAll(async () => {
  await server?.close();
});

describe('GroupInsert', () => {
  it('writes concurrent callers together and tells each caller its own duplicates', async () => {
    let commands = 0;
    const counted = Object.create(KeyedModel) as typeof KeyedModel;
    counted.insertMany = ((...args: Parameters<typeof KeyedModel.insertMany>) => {
      commands++;
      return KeyedModel.insertMany(...args);
    }) as typeof KeyedModel.insertMany;
    const writer = new GroupInsert(counted);

    await KeyedModel.create({ key: 'stored-before', caller: -1 });
    // 40 callers with 3 documents each: caller i repeats a key of caller i - 1, and caller 0
    // repeats a key stored before.
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, caller) =>
        writer.insert([
          { key: `c${caller}-a`, caller },
          { key: caller === 0 ? 'stored-before' : `c${caller - 1}-b`, caller },
          { key: `c${caller}-b`, caller },
        ]),
      ),
    );

    // Caller i - 1's documents come first, in the same command or an earlier one, so each
    // caller's second document is its only duplicate.
    for (const duplicates of results) expect([...duplicates]).toEqual([1]);
    expect(await KeyedModel.countDocuments()).toBe(81);
    expect(commands).toBeLessThan(40);
    expect(commands).toBeGreaterThanOrEqual(1);
  });

  it('rejects every caller of a command that fails for another reason', async () => {
    const writer = new GroupInsert(KeyedModel);
    const invalid = writer.insert([{ caller: 1 } as { key: string; caller: number }]);
    await expect(invalid).rejects.toThrow();
  });
});
