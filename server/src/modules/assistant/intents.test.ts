import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectIntent } from './intents.js';

const FAQ_FILE = new URL('../../../../scripts/data/faq/platform-faq.json', import.meta.url);
const EVAL_FILES = ['eval-dev.jsonl', 'eval-test.jsonl'].map(
  (name) => new URL(`../../../../scripts/data/faq/${name}`, import.meta.url),
);

/** FAQ and evaluation questions that an intent answers better than the FAQ entry. */
const PERSONAL_ON_PURPOSE = new Set(['今年学了多少学时', '查一下我今年的学时']);

describe('detectIntent', () => {
  it.each([
    ['我今年还差多少学时', 'my_hours'],
    ['我的学时', 'my_hours'],
    ['今年学时够了吗？', 'my_hours'],
    ['查一下学时', 'my_hours'],
    ['我一共拿了几个学时', 'my_hours'],
    ['我还有哪些必修课没学完', 'required_courses'],
    ['未完成的课', 'required_courses'],
    ['必修课', 'required_courses'],
    ['我上次考试考了多少分', 'last_exam'],
    ['我的考试成绩', 'last_exam'],
    ['考试成绩', 'last_exam'],
    ['测验过了吗', 'last_exam'],
  ])('detects %s as %s', (question, kind) => {
    expect(detectIntent(question)?.kind).toBe(kind);
  });

  it.each([
    ['有没有讲安全生产的课', '安全生产'],
    ['平台上有关于Python的课程吗？', 'Python'],
    ['搜一下数据库课程', '数据库'],
    ['帮我找几门讲机器学习的课', '机器学习'],
    ['推荐几门安全方面的课', '安全'],
  ])('reads the topic of %s', (question, topic) => {
    expect(detectIntent(question)).toEqual({ kind: 'course_search', topic });
  });

  it.each([
    ['张三学时多少', 'my_hours'],
    ['帮我查一下同事的学时', 'my_hours'],
    ['小王还差多少学时', 'my_hours'],
    ['领导今年还差多少学时', 'my_hours'],
    ['工号10086的学时', 'my_hours'],
    ['他的学时', 'my_hours'],
    ['艾丽的学时', 'my_hours'],
    ['鲍学员的学时', 'my_hours'],
    ['张三的考试成绩', 'last_exam'],
    ['我同事还有哪些必修课没学完', 'required_courses'],
  ])('detects %s as about someone else', (question, about) => {
    expect(detectIntent(question)).toEqual({ kind: 'others_records', about });
  });

  it.each([
    '我的学时',
    '查一下我的学时',
    '本人学时多少',
    '个人学时多少',
    '高级课程的学时',
    '之前的学时记录不见了',
  ])('does not take %s as about someone else', (question) => {
    expect(detectIntent(question)?.kind).not.toBe('others_records');
  });

  it.each([
    '学时',
    '学数学时注意什么',
    '学时是怎么计算的？',
    '在哪里查看我的学时？',
    '一年要修多少学时',
    '考试成绩跟学时挂钩吗',
    '测验多少分算及格？',
    '没学完的课下次从哪开始',
    '有没有什么课',
    '有没有免费的课',
    '搜不到想学的课程',
    '怎么搜索课程？',
    '转人工',
    '',
  ])('leaves %s to the FAQ', (question) => {
    expect(detectIntent(question)).toBeNull();
  });

  it('leaves the FAQ questions to the FAQ', () => {
    const faq = JSON.parse(readFileSync(FAQ_FILE, 'utf8')) as {
      entries: { standardQuestion: string; paraphrases: string[] }[];
    };
    const questions = faq.entries.flatMap((entry) => [
      entry.standardQuestion,
      ...entry.paraphrases,
    ]);
    const detected = questions.filter(
      (question) => !PERSONAL_ON_PURPOSE.has(question) && detectIntent(question) !== null,
    );

    expect(questions.length).toBeGreaterThan(250);
    expect(detected).toEqual([]);
  });

  it('leaves the evaluation questions to the FAQ', () => {
    const questions = EVAL_FILES.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => (JSON.parse(line) as { question: string }).question),
    );
    const detected = questions.filter(
      (question) => !PERSONAL_ON_PURPOSE.has(question) && detectIntent(question) !== null,
    );

    expect(questions.length).toBeGreaterThan(100);
    expect(detected).toEqual([]);
  });
});
