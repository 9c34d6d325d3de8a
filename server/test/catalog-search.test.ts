import { describe, expect, it } from 'vitest';
import {
  MAX_QUERY_TERMS,
  buildSearchTokens,
  tokenizeQuery,
} from '../src/modules/catalog/catalog.search.js';
import { countWords, summarise } from '../src/modules/catalog/course-fields.js';

const course = {
  title: 'CMU 15-445: Database Systems',
  category: '数据库系统',
  subcategory: null,
  description:
    '作为 CMU 数据库的入门课，这门课由 Andy Pavlo 讲授。详见 [课程网站](https://15445.courses.cs.cmu.edu/)。',
};

describe('buildSearchTokens', () => {
  const { searchTokens, titleTokens } = buildSearchTokens(course);

  it('indexes Chinese words with their prefixes', () => {
    expect(searchTokens).toContain('数据库系统');
    expect(searchTokens).toContain('数据库');
    expect(searchTokens).toContain('数据');
    expect(searchTokens).toContain('系统');
  });

  it('indexes pinyin of heading words', () => {
    expect(searchTokens).toContain('sjk');
    expect(searchTokens).toContain('sjkxt');
    expect(searchTokens).toContain('shujuku');
  });

  it('indexes Latin title words lowercased with prefixes', () => {
    expect(titleTokens).toContain('database');
    expect(titleTokens).toContain('data');
    expect(titleTokens).toContain('cmu');
    expect(titleTokens).toContain('15-445');
    expect(titleTokens).toContain('445');
  });

  it('keeps title tokens apart from category tokens', () => {
    expect(titleTokens).not.toContain('数据库');
  });

  it('indexes description words but not single characters', () => {
    expect(searchTokens).toContain('入门');
    expect(searchTokens).toContain('pavlo');
    expect(searchTokens).not.toContain('课');
  });

  it('does not index link targets', () => {
    expect(searchTokens).toContain('网站');
    expect(searchTokens).not.toContain('https');
    expect(searchTokens.some((token) => token.includes('courses.cs'))).toBe(false);
  });

  it('returns sorted tokens without duplicates', () => {
    expect(searchTokens).toEqual([...new Set(searchTokens)].sort());
  });

  it('returns the same tokens for the same input', () => {
    expect(buildSearchTokens(course)).toEqual({ searchTokens, titleTokens });
  });

  it('indexes each level of a nested subcategory', () => {
    const nested = buildSearchTokens({
      ...course,
      category: '编程入门',
      subcategory: 'Python/进阶',
    });
    expect(nested.searchTokens).toContain('python');
    expect(nested.searchTokens).toContain('进阶');
    expect(nested.searchTokens).toContain('编程');
  });
});

describe('tokenizeQuery', () => {
  it('segments Chinese and lowercases Latin words', () => {
    expect(tokenizeQuery('CMU 数据库')).toEqual(['cmu', '数据库']);
  });

  it('keeps a partial word whole', () => {
    expect(tokenizeQuery('数据')).toEqual(['数据']);
  });

  it('keeps pinyin initials as one term', () => {
    expect(tokenizeQuery('sjk')).toEqual(['sjk']);
  });

  it('drops punctuation and stopwords', () => {
    expect(tokenizeQuery('数据库的，！')).toEqual(['数据库']);
  });

  it('returns no terms for punctuation only', () => {
    expect(tokenizeQuery('！？…  ')).toEqual([]);
  });

  it('normalises full-width letters', () => {
    expect(tokenizeQuery('ＣＭＵ')).toEqual(['cmu']);
  });

  it('removes repeated terms', () => {
    expect(tokenizeQuery('数据库 数据库')).toEqual(['数据库']);
  });

  it(`keeps at most ${MAX_QUERY_TERMS} terms`, () => {
    const words = ['aa', 'bb', 'cc', 'dd', 'ee', 'ff', 'gg', 'hh', 'ii', 'jj'];
    expect(tokenizeQuery(words.join(' '))).toEqual(words.slice(0, MAX_QUERY_TERMS));
  });
});

describe('summarise', () => {
  it('keeps whole sentences up to the length', () => {
    const description = `第一句话。${'很长的第二句'.repeat(30)}。`;
    expect(summarise(description)).toBe('第一句话。');
  });

  it('cuts a long first sentence with an ellipsis', () => {
    const summary = summarise('长'.repeat(300));
    expect([...summary]).toHaveLength(120);
    expect(summary.endsWith('…')).toBe(true);
  });

  it('removes Markdown links and emphasis', () => {
    expect(summarise('这是 **重点** 和 [链接](https://example.com)。')).toBe('这是 重点 和 链接。');
  });

  it('returns an empty summary for an empty description', () => {
    expect(summarise('')).toBe('');
  });
});

describe('countWords', () => {
  it('counts Chinese characters and Latin words', () => {
    expect(countWords('数据库 is fun')).toBe(5);
  });

  it('ignores link targets', () => {
    expect(countWords('[课程](https://example.com/a/b)')).toBe(2);
  });
});
