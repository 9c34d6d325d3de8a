// Checks of the assistant's starting knowledge base and evaluation files in scripts/data/faq/.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../db/paths.js';
import { faqCellText, readFaqFile } from './faq.js';

const faqDir = path.join(repoRoot, 'scripts', 'data', 'faq');

interface EvalItem {
  question: string;
  expected: string;
}

async function readEval(name: string): Promise<EvalItem[]> {
  const text = await readFile(path.join(faqDir, name), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EvalItem);
}

/** Letters and digits only, lowercased: two questions equal under it are the same wording. */
const wording = (text: string) =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');

describe('platform knowledge base', async () => {
  const content = await readFaqFile(path.join(faqDir, 'platform-faq.json'));

  it('reads without problems', () => {
    expect(content.problems).toEqual([]);
  });

  it('has at least 60 entries', () => {
    expect(content.entries.length).toBeGreaterThanOrEqual(60);
  });

  it('gives each entry 5 to 12 paraphrases', () => {
    const outside = content.entries.filter(
      (entry) => entry.paraphrases.length < 5 || entry.paraphrases.length > 12,
    );

    expect(outside.map((entry) => entry.code)).toEqual([]);
  });

  it('covers every topic of the platform', () => {
    const prefixes = new Set(content.entries.map((entry) => entry.code.split('-')[0]));

    for (const topic of ['login', 'hours', 'quiz', 'cert', 'course', 'pay']) {
      expect(prefixes).toContain(topic);
    }
  });

  it('uses each question once', () => {
    const questions = content.entries.flatMap((entry) =>
      [entry.standardQuestion, ...entry.paraphrases].map(wording),
    );

    expect(new Set(questions).size).toBe(questions.length);
  });
});

describe('evaluation files', async () => {
  const content = await readFaqFile(path.join(faqDir, 'platform-faq.json'));
  const codes = new Set(content.entries.map((entry) => entry.code));
  const dev = await readEval('eval-dev.jsonl');
  const test = await readEval('eval-test.jsonl');
  const all = [...dev, ...test];

  it('hold at least 300 in-domain and 100 out-of-domain questions', () => {
    expect(all.filter((item) => item.expected !== 'none').length).toBeGreaterThanOrEqual(300);
    expect(all.filter((item) => item.expected === 'none').length).toBeGreaterThanOrEqual(100);
  });

  it('expect only entries of the knowledge base', () => {
    const unknown = all.filter((item) => item.expected !== 'none' && !codes.has(item.expected));

    expect(unknown).toEqual([]);
  });

  it('never repeat a question of the knowledge base', () => {
    const known = new Set(
      content.entries.flatMap((entry) =>
        [entry.standardQuestion, ...entry.paraphrases].map(wording),
      ),
    );

    expect(all.filter((item) => known.has(wording(item.question)))).toEqual([]);
  });

  it('keep the two splits apart', () => {
    const devQuestions = new Set(dev.map((item) => wording(item.question)));

    expect(test.filter((item) => devQuestions.has(wording(item.question)))).toEqual([]);
  });
});

describe('faqCellText', () => {
  it('keeps the address of a hyperlink', () => {
    const cell = { text: '点这里', hyperlink: 'https://example.com/help' };

    expect(faqCellText(cell)).toBe('点这里（https://example.com/help）');
  });

  it('keeps a link whose text is its address once', () => {
    const cell = { text: 'https://example.com/help', hyperlink: 'https://example.com/help' };

    expect(faqCellText(cell)).toBe('https://example.com/help');
  });

  it('shows a date as the sheet does', () => {
    expect(faqCellText(new Date('2025-01-01T00:00:00.000Z'))).toBe('2025-01-01');
    expect(faqCellText(new Date('2025-01-01T08:30:00.000Z'))).toBe('2025-01-01 08:30');
  });

  it('reads other cells as text', () => {
    expect(faqCellText(12)).toBe('12');
    expect(faqCellText({ richText: [{ text: '学' }, { text: '时' }] })).toBe('学时');
  });
});
