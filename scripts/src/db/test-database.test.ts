import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  connectTestDatabase,
  getTestMongodbUri,
  withDatabaseName,
  type TestDatabase,
} from './test-database.js';

describe('test database from the global setup', () => {
  let first: TestDatabase;
  let second: TestDatabase;

  beforeAll(async () => {
    first = await connectTestDatabase({ prefix: 'isolation' });
    second = await connectTestDatabase({ prefix: 'isolation' });
  });

  afterAll(async () => {
    await first?.drop().catch(() => undefined);
    await second?.drop().catch(() => undefined);
  });

  it('provides the URI to workers', () => {
    const provided = inject('testMongodbUri');
    expect(provided).toMatch(/^mongodb(\+srv)?:\/\//);
    expect(process.env.TEST_MONGODB_URI).toBe(provided);
    expect(getTestMongodbUri()).toBe(provided);
  });

  it('gives each call its own database', async () => {
    expect(first.dbName).not.toBe(second.dbName);
    expect(first.uri).toContain(`/${first.dbName}`);

    await first.connection.collection('items').insertOne({ name: 'only in first' });
    expect(await first.connection.collection('items').countDocuments()).toBe(1);
    expect(await second.connection.collection('items').countDocuments()).toBe(0);
  });

  it('drop removes the database', async () => {
    const dropped = await connectTestDatabase({ prefix: 'dropped' });
    await dropped.connection.collection('items').insertOne({ name: 'temporary' });
    await dropped.drop();

    const { databases } = await first.connection.db!.admin().listDatabases();
    const names = databases.map((database) => database.name);
    expect(names).toContain(first.dbName);
    expect(names).not.toContain(dropped.dbName);
  });
});

describe('withDatabaseName', () => {
  it.each([
    ['mongodb://127.0.0.1:1234', 'mongodb://127.0.0.1:1234/t1'],
    ['mongodb://127.0.0.1:1234/', 'mongodb://127.0.0.1:1234/t1'],
    ['mongodb://127.0.0.1:1234/wxlearn', 'mongodb://127.0.0.1:1234/t1'],
    ['mongodb://a:1,b:2/prod?replicaSet=rs0', 'mongodb://a:1,b:2/t1?replicaSet=rs0'],
    ['mongodb://user:pw@a:1/?authSource=admin', 'mongodb://user:pw@a:1/t1?authSource=admin'],
    [
      'mongodb+srv://cluster.example.net/prod?w=majority',
      'mongodb+srv://cluster.example.net/t1?w=majority',
    ],
  ])('rewrites %s', (uri, expected) => {
    expect(withDatabaseName(uri, 't1')).toBe(expected);
  });

  it('rejects a URI of another scheme', () => {
    expect(() => withDatabaseName('postgres://127.0.0.1/x', 't1')).toThrow(/invalid MongoDB URI/);
  });
});
