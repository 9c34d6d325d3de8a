import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildFaqIndex,
  decideAnswer,
  DEFAULT_FAQ_SCORING,
  MAX_SUGGESTIONS,
  searchFaq,
  type FaqDecision,
  type FaqIndexEntry,
  type FaqMatch,
} from './faq-index.js';
import {
  buildSynonymTable,
  canonicalTerms,
  ngramText,
  questionKey,
  segmentQuestion,
  type SynonymGroup,
} from './faq-text.js';

function entry(code: string, standardQuestion: string, ...paraphrases: string[]): FaqIndexEntry {
  return { id: `id-${code}`, code, standardQuestion, paraphrases };
}

const ENTRIES: FaqIndexEntry[] = [
  entry('login', '怎么登录企业学堂', '需要注册账号吗'),
  entry('password', '忘记密码怎么办', '怎么修改密码'),
  entry('hours', '学时是怎么计算的', '学时的计算规则'),
  entry('speed', '倍速播放算学时吗', '开2倍速学习时长怎么算'),
  entry('attempts', '测验可以做几次', '最多能答几次'),
  entry('certificate', '怎么获得证书', '学完课程有证书吗'),
];

const SYNONYMS: SynonymGroup[] = [
  { term: '登录', synonyms: ['登陆'] },
  { term: '测验', synonyms: ['考试'] },
  { term: '证书', synonyms: ['结业证'] },
];

describe('segmentQuestion', () => {
  it('splits Chinese words like catalog search', () => {
    const words = segmentQuestion('我的学时记录在哪里看');

    expect(words).toContain('学时');
    expect(words).toContain('记录');
    expect(words).toContain('哪里');
  });

  it('keeps platform words whole', () => {
    expect(segmentQuestion('证书能算学时吗')).toContain('学时');
    expect(segmentQuestion('怎么换绑')).toContain('换绑');
  });

  it('drops punctuation and lowercases Latin text', () => {
    const words = segmentQuestion('APP，怎么登录？');

    expect(words).toContain('app');
    expect(words).not.toContain('，');
    expect(words).not.toContain('？');
  });
});

describe('canonicalTerms', () => {
  const table = buildSynonymTable(SYNONYMS);

  it('maps a synonym to its term', () => {
    expect(canonicalTerms(['登陆', '失败'], table)).toEqual(['登录', '失败']);
  });

  it('maps a synonym that segmentation split', () => {
    expect(canonicalTerms(['结业', '证', '在', '哪里'], table)).toEqual(['证书', '哪里']);
  });

  it('drops stopwords', () => {
    expect(canonicalTerms(['请问', '我', '的', '学时', '呢'], table)).toEqual(['学时']);
  });

  it('reports a word listed under two terms', () => {
    const conflicting = buildSynonymTable([
      { term: '测验', synonyms: ['考试'] },
      { term: '考核', synonyms: ['考试'] },
    ]);

    expect(conflicting.conflicts).toEqual(['考试']);
    expect(conflicting.canonical.get('考试')).toBe('测验');
  });
});

describe('ngramText', () => {
  const table = buildSynonymTable(SYNONYMS);

  it('removes greetings, fillers and trailing particles', () => {
    expect(ngramText('请问，学时怎么算呢？', table)).toBe('学时算');
  });

  it('replaces synonyms in the text', () => {
    expect(ngramText('考试几次', table)).toBe('测验几次');
  });

  it('keeps a question made only of filler', () => {
    expect(ngramText('怎么办', table)).toBe('怎么办');
  });
});

describe('questionKey', () => {
  it('groups wordings that differ in punctuation and particles', () => {
    expect(questionKey('怎么改密码？')).toBe(questionKey('怎么改 密码呢'));
  });

  it('keeps different questions apart', () => {
    expect(questionKey('怎么改密码')).not.toBe(questionKey('怎么改工号'));
  });
});

describe('searchFaq', () => {
  const index = buildFaqIndex(ENTRIES, SYNONYMS);

  it('ranks the entry with the rare matching words first', () => {
    const [top] = searchFaq(index, '忘记密码了');

    expect(top?.code).toBe('password');
  });

  it('reads traditional characters', () => {
    const [simplified] = searchFaq(index, '最多能答几次');
    const [traditional] = searchFaq(index, '最多能答幾次');

    expect(traditional?.code).toBe('attempts');
    expect(traditional?.confidence).toBeCloseTo(simplified!.confidence, 5);
  });

  it('scores an entry by its best question', () => {
    const [top] = searchFaq(index, '最多能答几次');

    expect(top?.code).toBe('attempts');
    expect(top?.wordShare).toBeCloseTo(1, 5);
    expect(top?.characterShare).toBeCloseTo(1, 5);
    expect(top?.ngramSimilarity).toBeCloseTo(1, 5);
  });

  it('adds the answer text at a low weight', () => {
    const withAnswers = buildFaqIndex([
      { ...entry('attempts', '测验可以做几次'), answer: '作答次数由每个测验单独设定' },
      { ...entry('hours', '学时是怎么计算的'), answer: '学时按课程计算' },
    ]);
    const [top] = searchFaq(withAnswers, '作答次数有限制吗');

    expect(top?.code).toBe('attempts');
    expect(top?.answerShare).toBeGreaterThan(0.2);
    expect(top?.wordShare).toBe(0);
  });

  it('lowers the confidence for words the FAQ never uses', () => {
    const [known] = searchFaq(index, '学时怎么计算');
    const [unknown] = searchFaq(index, '打印机学时怎么计算');

    expect(known?.code).toBe('hours');
    expect(unknown?.code).toBe('hours');
    expect(unknown?.confidence ?? 1).toBeLessThan((known?.confidence ?? 0) * 0.9);
  });

  it('ranks a question that matches more words higher', () => {
    const matches = searchFaq(index, '倍速播放学时怎么算', 6);
    const speed = matches.findIndex((match) => match.code === 'speed');
    const hours = matches.findIndex((match) => match.code === 'hours');

    expect(speed).toBe(0);
    expect(hours).toBeGreaterThan(speed);
  });

  it('applies synonyms to the learner question', () => {
    const withoutSynonyms = buildFaqIndex(ENTRIES);
    const [top] = searchFaq(index, '考试可以做几次');
    const [plain] = searchFaq(withoutSynonyms, '考试可以做几次');

    expect(top?.code).toBe('attempts');
    expect(top?.confidence).toBeGreaterThan((plain?.confidence ?? 0) + 0.1);
  });

  it('matches by characters when no word matches', () => {
    const single = buildFaqIndex([
      entry('binding', '修改绑定信息'),
      entry('other', '查看学时记录'),
    ]);
    const [top] = searchFaq(single, '改绑');

    expect(top?.code).toBe('binding');
    expect(top?.wordShare).toBe(0);
    expect(top?.characterShare).toBeGreaterThan(0.5);
  });

  it('matches a homophone typo through pinyin', () => {
    const [top] = searchFaq(index, '学识的计算规则');

    expect(top?.code).toBe('hours');
    expect(top?.wordShare).toBeGreaterThan(0.9);
  });

  it('returns nothing for text that shares nothing', () => {
    expect(searchFaq(index, 'hello world')).toEqual([]);
  });

  it('limits the number of matches', () => {
    expect(searchFaq(index, '学时', 2).length).toBeLessThanOrEqual(2);
  });

  it('segments questions whose stored words do not match', () => {
    const stale = buildFaqIndex([{ ...ENTRIES[1]!, questionWords: [['x']] }]);
    const [top] = searchFaq(stale, '忘记密码怎么办');

    expect(top?.code).toBe('password');
    expect(top?.wordShare).toBeCloseTo(1, 5);
  });
});

describe('decideAnswer', () => {
  const match = (code: string, confidence: number): FaqMatch => ({
    entryId: code,
    code,
    question: code,
    confidence,
    wordShare: confidence,
    characterShare: confidence,
    ngramSimilarity: confidence,
    entryShare: confidence,
    answerShare: confidence,
  });

  const suggestionCodes = (decision: FaqDecision) =>
    decision.kind === 'dont_know'
      ? decision.suggestions.map((suggestion) => suggestion.code)
      : null;

  it('answers at the threshold', () => {
    const decision = decideAnswer([match('a', DEFAULT_FAQ_SCORING.threshold)]);

    expect(decision.kind).toBe('answer');
  });

  it('suggests below the threshold', () => {
    const below = DEFAULT_FAQ_SCORING.threshold - 0.01;
    const decision = decideAnswer([match('a', below), match('b', below), match('c', 0.01)]);

    expect(decision.kind).toBe('dont_know');
    expect(suggestionCodes(decision)).toEqual(['a', 'b']);
  });

  it('suggests at most three questions', () => {
    const below = DEFAULT_FAQ_SCORING.threshold - 0.01;
    const matches = ['a', 'b', 'c', 'd'].map((code) => match(code, below));
    const decision = decideAnswer(matches);

    expect(suggestionCodes(decision)).toHaveLength(MAX_SUGGESTIONS);
  });

  it('does not know without matches', () => {
    expect(decideAnswer([])).toEqual({ kind: 'dont_know', suggestions: [] });
  });
});

describe('platform knowledge base', () => {
  const file = new URL('../../../../scripts/data/faq/platform-faq.json', import.meta.url);
  const knowledgeBase = JSON.parse(readFileSync(file, 'utf8')) as {
    synonyms: SynonymGroup[];
    entries: { code: string; standardQuestion: string; paraphrases: string[] }[];
  };
  const index = buildFaqIndex(
    knowledgeBase.entries.map((item) =>
      entry(item.code, item.standardQuestion, ...item.paraphrases),
    ),
    knowledgeBase.synonyms,
  );

  it('answers each of its own questions with its entry', () => {
    const misses: string[] = [];
    for (const item of knowledgeBase.entries) {
      for (const question of [item.standardQuestion, ...item.paraphrases]) {
        const decision = decideAnswer(searchFaq(index, question));
        if (decision.kind !== 'answer' || decision.match.code !== item.code) {
          misses.push(`${item.code}: ${question}`);
        }
      }
    }

    expect(misses).toEqual([]);
  });

  it.each(['今天天气怎么样', '红烧肉怎么做', '工资几号发'])('does not know %s', (question) => {
    expect(decideAnswer(searchFaq(index, question)).kind).toBe('dont_know');
  });
});
