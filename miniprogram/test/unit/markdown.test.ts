import { describe, expect, test } from 'vitest';

import { htmlToText } from '../../src/components/markdown/html-text';
import {
  markdownToPlainText,
  parseInline,
  parseMarkdown,
  plainText,
} from '../../src/components/markdown/parse';

describe('parseMarkdown', () => {
  test('reads a course page', () => {
    const source = [
      '# MIT 6.007 Signals and Systems',
      '',
      '## 课程简介',
      '',
      '- 所属大学：MIT',
      '- 课程难度：🌟🌟',
      '',
      '看到课程老师的名字：Prof. Alan V. Oppenheim',
      '',
      '好的，上这门课的理由已经足够了。',
      '',
      '## 课程资源',
      '',
      '- 课程网站：[EE16A](https://inst.eecs.berkeley.edu/~ee16a/su20/), [EE16B](https://eecs16b.org/)',
      '- 课程视频：<https://www.bilibili.com/video/BV1CZ4y1j7hs>',
    ].join('\n');

    const blocks = parseMarkdown(source);

    expect(blocks.map((block) => block.type)).toEqual([
      'heading',
      'heading',
      'list',
      'paragraph',
      'paragraph',
      'heading',
      'list',
    ]);
    expect(blocks[0]).toEqual({
      type: 'heading',
      level: 1,
      content: [{ type: 'text', text: 'MIT 6.007 Signals and Systems' }],
    });
    const resources = blocks[6];
    expect(resources?.type).toBe('list');
    if (resources?.type !== 'list') return;
    expect(resources.items).toHaveLength(2);
    expect(resources.items[0]?.content).toEqual([
      { type: 'text', text: '课程网站：' },
      { type: 'link', text: 'EE16A', url: 'https://inst.eecs.berkeley.edu/~ee16a/su20/' },
      { type: 'text', text: ', ' },
      { type: 'link', text: 'EE16B', url: 'https://eecs16b.org/' },
    ]);
    expect(resources.items[1]?.content[1]).toEqual({
      type: 'link',
      text: 'https://www.bilibili.com/video/BV1CZ4y1j7hs',
      url: 'https://www.bilibili.com/video/BV1CZ4y1j7hs',
    });
  });

  test('nests list items and numbers them', () => {
    const blocks = parseMarkdown('1. 第一步\n   继续说明\n2. 第二步\n    - 细节\n3) 第三步');
    expect(blocks).toHaveLength(1);
    const list = blocks[0];
    if (list?.type !== 'list') throw new Error('expected a list');
    expect(list.items.map((item) => [item.depth, item.marker, plainText(item.content)])).toEqual([
      [0, '1.', '第一步 继续说明'],
      [0, '2.', '第二步'],
      [1, '•', '细节'],
      [0, '3.', '第三步'],
    ]);
  });

  test('keeps fenced code verbatim', () => {
    const blocks = parseMarkdown(
      '```python\ndef f(x):\n    return x * 2  # **not bold**\n```\n后文',
    );
    expect(blocks[0]).toEqual({
      type: 'code',
      language: 'python',
      text: 'def f(x):\n    return x * 2  # **not bold**',
    });
    expect(blocks[1]).toEqual({ type: 'paragraph', content: [{ type: 'text', text: '后文' }] });
  });

  test('reads an unclosed fence to the end', () => {
    expect(parseMarkdown('```\ncode')).toEqual([{ type: 'code', language: '', text: 'code' }]);
  });

  test('reads quotes, rules and tables', () => {
    const blocks = parseMarkdown(
      '> 引用 **重点**\n> 第二行\n\n---\n\n| 课程 | 学时 |\n| --- | :-: |\n| CS61A | 100 |\n| 6.S081 \\| OS | 150 |',
    );
    expect(blocks.map((block) => block.type)).toEqual(['quote', 'rule', 'table']);
    const quote = blocks[0];
    if (quote?.type !== 'quote') throw new Error('expected a quote');
    expect(quote.blocks).toHaveLength(1);
    expect(plainText(quote.blocks[0]?.type === 'paragraph' ? quote.blocks[0].content : [])).toBe(
      '引用 重点 第二行',
    );
    const table = blocks[2];
    if (table?.type !== 'table') throw new Error('expected a table');
    expect(table.header.map(plainText)).toEqual(['课程', '学时']);
    expect(table.rows.map((row) => row.map(plainText))).toEqual([
      ['CS61A', '100'],
      ['6.S081 | OS', '150'],
    ]);
  });

  test('drops raw HTML tags but keeps their text', () => {
    const blocks = parseMarkdown(
      '<div align="center">\n<img src="x.png">\n</div>\n\n<b>粗体</b>文字',
    );
    expect(blocks).toEqual([{ type: 'paragraph', content: [{ type: 'text', text: '粗体文字' }] }]);
  });

  test('shows an admonition title as a heading', () => {
    const blocks = parseMarkdown('!!! tip "学习建议"\n    每周学习 10 小时。');
    expect(blocks[0]).toEqual({
      type: 'heading',
      level: 4,
      content: [{ type: 'text', text: '学习建议' }],
    });
    expect(blocks[1]?.type).toBe('paragraph');
  });

  test('handles CRLF line ends', () => {
    expect(parseMarkdown('# 标题\r\n\r\n正文').map((block) => block.type)).toEqual([
      'heading',
      'paragraph',
    ]);
  });
});

describe('parseInline', () => {
  test('reads emphasis, code and images', () => {
    expect(parseInline('**粗** *斜* `a*b*c` ![图](https://e.com/a.png)')).toEqual([
      { type: 'strong', children: [{ type: 'text', text: '粗' }] },
      { type: 'text', text: ' ' },
      { type: 'em', children: [{ type: 'text', text: '斜' }] },
      { type: 'text', text: ' ' },
      { type: 'code', text: 'a*b*c' },
      { type: 'text', text: ' ' },
      { type: 'image', alt: '图', url: 'https://e.com/a.png' },
    ]);
  });

  test('nests a link inside strong text', () => {
    expect(parseInline('**见 [官网](https://e.com)**')).toEqual([
      {
        type: 'strong',
        children: [
          { type: 'text', text: '见 ' },
          { type: 'link', text: '官网', url: 'https://e.com' },
        ],
      },
    ]);
  });

  test('unescapes backslash escapes', () => {
    expect(parseInline('1\\*2 = 2 \\[注\\]')).toEqual([{ type: 'text', text: '1*2 = 2 [注]' }]);
  });

  test('leaves a lone asterisk as text', () => {
    expect(parseInline('a * b')).toEqual([{ type: 'text', text: 'a * b' }]);
  });
});

describe('markdownToPlainText', () => {
  test('keeps link text and drops targets', () => {
    const text = markdownToPlainText(
      '配套数据库 [bustub](https://github.com/cmu-db/bustub)，实现 `Buffer Pool`。',
    );
    expect(text).toBe('配套数据库 bustub，实现 Buffer Pool。');
  });

  test('joins blocks on one line', () => {
    const source = '## 简介\n\n第一段**重点**。\n\n- 甲\n- 乙\n\n> 引用\n\n| 列 |\n| --- |\n| 值 |';
    expect(markdownToPlainText(source)).toBe('简介 第一段重点。 甲 乙 引用 列 值');
  });

  test('drops HTML tags, keeps image alt', () => {
    expect(markdownToPlainText('<b>粗体</b> ![封面](a.png) 文字')).toBe('粗体 封面 文字');
  });

  test('leaves plain text unchanged', () => {
    expect(markdownToPlainText('C++ 与 Python 3.12，适合自学。')).toBe(
      'C++ 与 Python 3.12，适合自学。',
    );
  });
});

describe('htmlToText', () => {
  test('keeps text and line structure', () => {
    const html =
      '<p>下列说法<b>正确</b>的是：</p><ul><li>A &amp; B</li><li>x &lt; y</li></ul>第二行<br/>第三行';
    expect(htmlToText(html)).toBe('下列说法正确的是：\n\n• A & B\n\n• x < y\n\n第二行\n第三行');
  });

  test('drops scripts, styles and comments', () => {
    expect(htmlToText('<script>alert(1)</script><style>p{}</style><!-- c -->文字')).toBe('文字');
  });

  test('decodes numeric references', () => {
    expect(htmlToText('&#20013;&#x6587;&nbsp;&unknown;')).toBe('中文 &unknown;');
  });
});
