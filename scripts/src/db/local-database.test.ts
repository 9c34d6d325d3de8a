import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ping } from './ferretdb-process.js';
import { startLocalDatabase, type LocalDatabase } from './local-database.js';
import { isPortAccepting } from './processes.js';

function portOf(uri: string) {
  return Number(/:(\d+)\//.exec(uri)?.[1]);
}

async function makeRoot(prefix: string) {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  // As root, PostgreSQL runs as the postgres user, which must be able to enter this directory.
  await fs.chmod(root, 0o755);
  return root;
}

// These tests start the local stack itself, which machines that test against MONGODB_URI may lack.
const usesExternalDatabase = Boolean(process.env.MONGODB_URI);

const itemSchema = new mongoose.Schema({ key: { type: String, unique: true }, owner: String });

describe.skipIf(usesExternalDatabase)('startLocalDatabase on PostgreSQL', () => {
  let database: LocalDatabase;
  let connection: mongoose.Connection;

  beforeAll(async () => {
    const started = performance.now();
    database = await startLocalDatabase({ name: 'unit', ephemeral: true, backend: 'postgresql' });
    console.info(
      `ephemeral PostgreSQL + FerretDB start (binary cached): ${Math.round(performance.now() - started)} ms`,
    );
    connection = await mongoose.createConnection(database.uri).asPromise();
  });

  afterAll(async () => {
    await connection?.close();
    await database?.stop();
  });

  it('returns a FerretDB URI on 127.0.0.1', () => {
    expect(database.backend).toBe('postgresql');
    expect(database.uri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/wxlearn$/);
    expect(database.fallbackReason).toBeUndefined();
  });

  it('rejects a duplicate key with error 11000', async () => {
    const Item = connection.model('UniqueItem', itemSchema);
    await Item.init();
    await Item.create({ key: 'a', owner: 'first' });

    const error = await Item.create({ key: 'a', owner: 'second' }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(mongoose.mongo.MongoServerError);
    expect((error as { code?: number }).code).toBe(11000);
    expect(await Item.countDocuments({ key: 'a' })).toBe(1);
  });

  it('rejects a duplicate upsert with error 11000', async () => {
    const Item = connection.model('UpsertItem', itemSchema);
    await Item.init();
    await Item.create({ key: 'b', owner: 'first' });

    const error = await Item.updateOne(
      { owner: 'nobody' },
      { $set: { key: 'b' } },
      { upsert: true },
    ).catch((caught: unknown) => caught);
    expect((error as { code?: number }).code).toBe(11000);
  });

  it('runs sanitizeFilter queries on a mixed path', async () => {
    const Profile = connection.model(
      'Profile',
      new mongoose.Schema({ key: String, settings: mongoose.Schema.Types.Mixed }),
    );
    await Profile.create({ key: 'p1', settings: { theme: 'dark' } });
    // The shape an attacker sends in a JSON body where the route expects a plain value.
    const untrusted = { $ne: null };

    const unsafe = await Profile.find({ settings: untrusted });
    // sanitizeFilter wraps the object in $eq, so FerretDB compares whole documents.
    const sanitized = await Profile.find({ settings: untrusted }).setOptions({
      sanitizeFilter: true,
    });
    const exact = await Profile.find({ settings: { theme: 'dark' } }).setOptions({
      sanitizeFilter: true,
    });
    const trusted = await Profile.find({ settings: mongoose.trusted({ $ne: null }) }).setOptions({
      sanitizeFilter: true,
    });

    expect(unsafe).toHaveLength(1);
    expect(sanitized).toHaveLength(0);
    expect(exact).toHaveLength(1);
    expect(trusted).toHaveLength(1);
  });

  it('rejects an operator object on a string path with sanitizeFilter', async () => {
    const Item = connection.model('SanitizedItem', itemSchema);
    await Item.create({ key: 'c', owner: 'alice' });
    const untrusted = { $ne: 'nobody' } as unknown as string;

    const error = await Item.find({ owner: untrusted })
      .setOptions({ sanitizeFilter: true })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(mongoose.Error.CastError);
    expect(await Item.find({ owner: 'alice' }).setOptions({ sanitizeFilter: true })).toHaveLength(
      1,
    );
  });

  it('answers an equality lookup on an indexed field from a GIN index', async () => {
    const Owned = connection.model(
      'OwnedItem',
      new mongoose.Schema({ owner: { type: String, index: true }, n: Number }),
    );
    await Owned.init();
    await Owned.insertMany(
      Array.from({ length: 2000 }, (_, n) => ({ owner: `owner-${n % 500}`, n })),
    );
    await connection.db!.command({ analyze: 'owneditems' }).catch(() => undefined);

    const explained = (await Owned.find({ owner: 'owner-7' }).explain()) as unknown as {
      queryPlanner?: unknown;
    }[];
    const plan = JSON.stringify(explained);
    expect(plan).toContain('Bitmap Index Scan');
    expect(plan).toContain('_gin');
    expect(await Owned.countDocuments({ owner: 'owner-7' })).toBe(4);
  });

  it('stop ends FerretDB and removes the files', async () => {
    const port = portOf(database.uri);
    const exited = database.ferretdbExited;
    await connection.close();
    await database.stop();

    await expect(exited).resolves.toBeDefined();
    expect(await isPortAccepting(port)).toBe(false);
    const leftovers = (await fs.readdir(os.tmpdir())).filter((name) =>
      name.startsWith('wxlearn-db-unit-'),
    );
    const ours = [];
    for (const name of leftovers) {
      const owner = await fs
        .readFile(path.join(os.tmpdir(), name, 'owner.json'), 'utf8')
        .catch(() => '');
      if (owner.includes(`"pid":${process.pid}`)) ours.push(name);
    }
    expect(ours).toEqual([]);
  });
});

describe.skipIf(usesExternalDatabase)('startLocalDatabase fallback and options', () => {
  it('falls back to SQLite when PostgreSQL is missing', async () => {
    const database = await startLocalDatabase({
      name: 'fallback',
      ephemeral: true,
      pgBinDir: '/nonexistent/postgresql/bin',
    });
    try {
      expect(database.backend).toBe('sqlite');
      expect(database.fallbackReason).toMatch(/PostgreSQL server binaries .* not found/);

      const connection = await mongoose.createConnection(database.uri).asPromise();
      try {
        const Item = connection.model('Item', itemSchema);
        await Item.init();
        await Item.create({ key: 'x' });
        const error = await Item.create({ key: 'x' }).catch((caught: unknown) => caught);
        expect((error as { code?: number }).code).toBe(11000);
      } finally {
        await connection.close();
      }
    } finally {
      await database.stop();
    }
  });

  it('fails without fallback when backend is postgresql', async () => {
    await expect(
      startLocalDatabase({
        name: 'strict',
        ephemeral: true,
        backend: 'postgresql',
        pgBinDir: '/nonexistent/postgresql/bin',
      }),
    ).rejects.toThrow(/not found/);
  });

  it('uses MONGODB_URI without starting anything', async () => {
    const external = 'mongodb://db.invalid:27017/prod?replicaSet=rs0';
    const previous = process.env.MONGODB_URI;
    process.env.MONGODB_URI = external;
    try {
      const database = await startLocalDatabase({ name: 'external' });
      expect(database.backend).toBe('external');
      expect(database.uri).toBe(external);
      expect(database.ferretdbExited).toBeUndefined();
      await database.stop();
    } finally {
      if (previous === undefined) delete process.env.MONGODB_URI;
      else process.env.MONGODB_URI = previous;
    }
  });

  it('rejects a name unfit for a directory', async () => {
    await expect(startLocalDatabase({ name: '../escape', ephemeral: true })).rejects.toThrow(
      /invalid database name/,
    );
  });
});

describe.skipIf(usesExternalDatabase)('startLocalDatabase with a persistent directory', () => {
  let root: string;

  beforeAll(async () => {
    root = await makeRoot('wxlearn-db-persistent-test-');
  });

  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('shares a running cluster and keeps data across restarts', async () => {
    const first = await startLocalDatabase({ name: 'keep', dataDir: root });
    const firstConnection = await mongoose.createConnection(first.uri).asPromise();
    await firstConnection.collection('notes').insertOne({ text: 'written by first' });
    await firstConnection.close();

    // A second start on the same directory reuses the running PostgreSQL with its own FerretDB.
    const second = await startLocalDatabase({ name: 'keep', dataDir: root });
    expect(portOf(second.uri)).not.toBe(portOf(first.uri));
    const secondConnection = await mongoose.createConnection(second.uri).asPromise();
    const seen = await secondConnection.collection('notes').findOne({ text: 'written by first' });
    await secondConnection.close();
    expect(seen?.text).toBe('written by first');

    // Stopping the second leaves PostgreSQL to the first, which still answers.
    await second.stop();
    await expect(ping(first.uri)).resolves.toBeUndefined();
    await first.stop();
    expect(existsSync(path.join(root, 'postgres', 'keep', 'postmaster.pid'))).toBe(false);

    const started = performance.now();
    const third = await startLocalDatabase({ name: 'keep', dataDir: root });
    console.info(
      `persistent PostgreSQL + FerretDB restart (cluster exists): ${Math.round(performance.now() - started)} ms`,
    );
    const thirdConnection = await mongoose.createConnection(third.uri).asPromise();
    const keptCount = await thirdConnection.collection('notes').countDocuments();
    await thirdConnection.close();
    await third.stop();
    expect(keptCount).toBe(1);
  });
});
