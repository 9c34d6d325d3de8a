import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { importFaqFile, readFaqFile, workbookEntryCode } from '@wxlearn/scripts/import/faq.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaqEntryModel } from '../src/modules/assistant/faq-entry.model.js';
import { FAQ_REVISION_ID, FaqRevisionModel } from '../src/modules/assistant/faq-revision.model.js';
import { FaqSynonymModel } from '../src/modules/assistant/faq-synonym.model.js';
import { FAQ_TOKENS_VERSION } from '../src/modules/assistant/faq-text.js';
import { PLATFORM_FAQ } from './assistant-support.js';
import { startTestServer, type TestServer } from './harness.js';

const dataDir =
  process.env.DATA_DIR ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));
const BEFAQ_WORKBOOK = path.join(dataDir, 'befaq-faq-zh', '线上用户反馈回复.xlsx');
const BEFAQ_JSONL = path.join(dataDir, 'befaq-faq-zh', 'faq.jsonl');

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  dir = await mkdtemp(path.join(tmpdir(), 'faq-import-'));
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function revision(): Promise<string | undefined> {
  return (await FaqRevisionModel.findById(FAQ_REVISION_ID).lean())?.revision;
}

/** Writes a workbook in the BEFAQ layout with one category sheet and a synonym sheet. */
async function writeWorkbook(name: string, rows: (string | null)[][]): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('测试分类');
  sheet.addRow(['数据填写人姓名', '答案', '原始问题', '同义问题1', '同义问题2']);
  for (const row of rows) sheet.addRow(row);
  const synonyms = workbook.addWorksheet('同义词');
  synonyms.addRow(['原义词', '同义词', '同义词']);
  synonyms.addRow(['测验', '考试', '测试']);
  synonyms.addRow(['孤词']);
  const file = path.join(dir, name);
  await workbook.xlsx.writeFile(file);
  return file;
}

// The tests share one database and run in order: each builds on the state the previous one left.
describe('BEFAQ workbook import', () => {
  it('imports the 16 entries and the synonyms of the sample workbook', async () => {
    const report = await importFaqFile(BEFAQ_WORKBOOK);

    expect(report.entries).toEqual({ created: 16, updated: 0, unchanged: 0 });
    expect(report.synonyms).toEqual({ created: 9, updated: 0, unchanged: 0 });
    expect(report.problems.every((problem) => problem.severity === 'warning')).toBe(true);
    expect(report.problems.map((problem) => problem.reason)).toEqual([
      expect.stringContaining('sheet 词典 ignored'),
      expect.stringContaining('sheet 停用词 ignored'),
    ]);
    expect(await FaqEntryModel.countDocuments()).toBe(16);
    expect(await FaqSynonymModel.countDocuments()).toBe(9);
  });

  it('keeps the questions, answers and categories of the sheets', async () => {
    const designers = await FaqEntryModel.findOne({ standardQuestion: '如何找设计师' }).lean();
    const phones = await FaqEntryModel.find({
      $or: [{ standardQuestion: '售后电话' }, { paraphrases: '售后电话' }],
    }).lean();
    const synonyms = await FaqSynonymModel.findOne({ term: '入驻' }).lean();

    expect(designers?.category).toBe('领域1');
    expect(designers?.code).toBe(workbookEntryCode('领域1', '如何找设计师'));
    expect(designers?.paraphrases).toEqual([
      '按地区找设计师',
      '如何查找当地的设计师',
      '设计师可以选择同城吗',
    ]);
    expect(designers?.answer).toContain('找设计师');
    expect(designers?.enabled).toBe(true);
    expect(designers?.tokens).toHaveLength(4);
    expect(designers?.tokens[0]?.words).toContain('设计师');
    expect(designers?.tokensVersion).toBe(FAQ_TOKENS_VERSION);
    // The same question in two domains stays in two entries with their own answers.
    expect(phones.map((entry) => entry.category).sort()).toEqual(['领域2', '领域3']);
    expect(phones[0]?.answer).not.toBe(phones[1]?.answer);
    expect(synonyms?.synonyms).toEqual(['申请', '入住', '认证']);
  });

  it('changes nothing when the workbook is imported again', async () => {
    const before = await revision();
    const report = await importFaqFile(BEFAQ_WORKBOOK);

    expect(report.entries).toEqual({ created: 0, updated: 0, unchanged: 16 });
    expect(report.synonyms).toEqual({ created: 0, updated: 0, unchanged: 9 });
    expect(await revision()).toBe(before);
    expect(await FaqEntryModel.countDocuments()).toBe(16);
  });

  it('imports the derived JSON Lines file under its own codes', async () => {
    const report = await importFaqFile(BEFAQ_JSONL);
    const entry = await FaqEntryModel.findOne({ code: '领域2-003' }).lean();

    expect(report.entries).toEqual({ created: 16, updated: 0, unchanged: 0 });
    expect(report.problems).toEqual([]);
    expect(entry?.standardQuestion).toBe('烟灶质保多久');
    expect(entry?.paraphrases).toEqual(['三包', '保质期']);
  });
});

describe('workbookEntryCode', () => {
  it('makes a valid code of any sheet name', () => {
    expect(workbookEntryCode('领域 1/售后', '售后电话')).toMatch(/^领域_1_售后-[0-9a-f]{10}$/);
  });

  it('differs per standard question', () => {
    expect(workbookEntryCode('领域1', '售后电话')).not.toBe(workbookEntryCode('领域1', '保质期'));
  });
});

describe('workbook rows with problems', () => {
  it('imports the valid rows and reports the others by sheet and row', async () => {
    const file = await writeWorkbook('problems.xlsx', [
      ['张三', '在首页搜索。', '怎么找课', '找课程', '怎么找课'],
      [null, '', '没有答案的问题', null, null],
      [null, '没有问题的答案', '', '同义问题', null],
      ['李四', null, null, null, null],
      [null, '重复的答案', '怎么找课', null, null],
    ]);
    const report = await importFaqFile(file);

    expect(report.entries).toEqual({ created: 1, updated: 0, unchanged: 0 });
    expect(report.synonyms).toEqual({ created: 1, updated: 0, unchanged: 0 });
    const errors = report.problems.filter((problem) => problem.severity !== 'warning');
    expect(errors.map((problem) => problem.line)).toEqual([3, 4, 3, 6]);
    expect(errors[0]?.reason).toBe('sheet 测试分类, row 3: 答案 (answer) is blank');
    expect(errors[1]?.reason).toBe('sheet 测试分类, row 4: 原始问题 (standard question) is blank');
    expect(errors[2]?.reason).toContain('sheet 同义词, row 3');
    expect(errors[3]?.reason).toContain('repeats the code of an earlier entry');

    const entry = await FaqEntryModel.findOne({ category: '测试分类' }).lean();
    expect(entry?.paraphrases).toEqual(['找课程']);
  });
});

describe('JSON knowledge base import', () => {
  it('imports the platform knowledge base', async () => {
    const content = await readFaqFile(PLATFORM_FAQ);
    const report = await importFaqFile(PLATFORM_FAQ);

    expect(content.entries.length).toBeGreaterThanOrEqual(60);
    expect(report.problems).toEqual([]);
    expect(report.entries.created).toBe(content.entries.length);
    // 测验 came in with the workbook of the previous test, so that group is updated.
    expect(report.synonyms).toEqual({
      created: content.synonyms.length - 1,
      updated: 1,
      unchanged: 0,
    });
    const hours = await FaqEntryModel.findOne({ code: 'hours-006' }).lean();
    expect(hours?.category).toBe('学时');
    expect(hours?.answer).toContain('最高2倍');
  });

  it('changes nothing when imported again', async () => {
    const before = await revision();
    const report = await importFaqFile(PLATFORM_FAQ);

    expect(report.entries.created + report.entries.updated).toBe(0);
    expect(report.synonyms.created + report.synonyms.updated).toBe(0);
    expect(await revision()).toBe(before);
  });

  it('updates a changed entry and keeps it disabled', async () => {
    const file = path.join(dir, 'changed.json');
    await FaqEntryModel.updateOne({ code: 'pay-001' }, { $set: { enabled: false } });
    await writeFile(
      file,
      JSON.stringify({
        entries: [
          {
            code: 'pay-001',
            category: '付费',
            standardQuestion: '课程要收费吗？',
            paraphrases: ['学习要花钱吗'],
            answer: '目前课程都免费。\n付费课程正在建设中。',
          },
        ],
      }),
    );
    const report = await importFaqFile(file);
    const entry = await FaqEntryModel.findOne({ code: 'pay-001' }).lean();

    expect(report.entries).toEqual({ created: 0, updated: 1, unchanged: 0 });
    expect(entry?.answer).toBe('目前课程都免费。\n付费课程正在建设中。');
    expect(entry?.paraphrases).toEqual(['学习要花钱吗']);
    expect(entry?.tokens).toHaveLength(2);
    expect(entry?.enabled).toBe(false);
  });

  it('reports invalid entries by position and imports the rest', async () => {
    const file = path.join(dir, 'invalid.json');
    await writeFile(
      file,
      JSON.stringify({
        synonyms: [{ term: '学时', synonyms: [] }],
        entries: [
          { code: 'ok-001', category: '其他', standardQuestion: '问题', answer: '答案' },
          { code: 'bad code', category: '其他', standardQuestion: '问题二', answer: '答案' },
          { code: 'ok-002', category: '其他', standardQuestion: '', answer: '答案' },
        ],
      }),
    );
    const report = await importFaqFile(file);

    expect(report.entries.created).toBe(1);
    expect(report.problems.map((problem) => problem.reason.split(':')[0])).toEqual([
      'synonyms[0]',
      'entries[1]',
      'entries[2]',
    ]);
  });

  it('rejects a file of another type', async () => {
    const content = await readFaqFile(path.join(dir, 'faq.csv'));

    expect(content.entries).toEqual([]);
    expect(content.problems[0]?.reason).toContain("unsupported file type '.csv'");
  });
});
