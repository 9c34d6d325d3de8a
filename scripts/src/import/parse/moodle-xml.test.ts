import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMoodleXml, parseMoodleXmlFile } from './moodle-xml.js';
import { FIXTURES, SHARED_DATA } from './test-paths.js';

const NESTED = path.join(
  SHARED_DATA,
  'moodle-core-question-format-fixtures/nested_categories_with_questions.xml',
);
const GAPFILL = path.join(SHARED_DATA, 'moodle-xml-gapfill-examples');

describe('parseMoodleXml on Moodle fixtures', () => {
  it('follows nested categories', async () => {
    const result = await parseMoodleXmlFile(NESTED);
    expect(result.problems).toEqual([]);
    expect(result.records.map((record) => [record.title, record.category])).toEqual([
      ['Iota Question', 'Iota'],
      ['Kappa Question', 'Iota/Kappa'],
      ['Lambda Question', 'Iota/Kappa/Lambda'],
      ['Mu Question', 'Iota/Mu'],
    ]);
  });

  it('maps truefalse questions', async () => {
    const result = await parseMoodleXmlFile(NESTED);
    const first = result.records[0];
    expect(first?.type).toBe('truefalse');
    expect(first?.format).toBe('html');
    expect(first?.stem).toBe('<p>Testing Iota Question</p>');
    expect(first?.options).toEqual([
      { key: 'T', text: '正确' },
      { key: 'F', text: '错误' },
    ]);
    expect(first?.answer).toEqual(['T']);
    expect(first?.explanation).toBeUndefined();
    expect(first?.source).toBe(`${NESTED}:15`);
  });

  it('counts the essay as unsupported', async () => {
    const result = await parseMoodleXmlFile(NESTED);
    expect(result.unsupported).toEqual({ essay: 1 });
  });

  it('counts plugin and cloze types in the English export', async () => {
    const result = await parseMoodleXmlFile(path.join(GAPFILL, 'gapfill_examples.en.xml'));
    expect(result.records).toEqual([]);
    expect(result.problems).toEqual([]);
    expect(result.unsupported).toEqual({ gapfill: 22, cloze: 1, ddwtos: 1 });
  });

  it('counts the Japanese gapfill questions', async () => {
    const result = await parseMoodleXmlFile(path.join(GAPFILL, 'gapfill_examples.ja.xml'));
    expect(result.records).toEqual([]);
    expect(result.unsupported).toEqual({ gapfill: 3 });
  });
});

describe('parseMoodleXml on multichoice questions', () => {
  const file = path.join(FIXTURES, 'moodle-multichoice.xml');

  it('maps a single-answer question with html and feedback', async () => {
    const { records } = await parseMoodleXmlFile(file);
    const single = records.find((record) => record.title === '许可证核发部门');
    expect(single?.type).toBe('single');
    expect(single?.format).toBe('html');
    expect(single?.stem).toBe('<p>卷烟零售许可证由<strong>哪个部门</strong>核发？</p>');
    expect(single?.options).toEqual([
      { key: 'A', text: '<p>工商部门</p>', feedback: '<p>不对。</p>' },
      { key: 'B', text: '<p>烟草专卖行政主管部门</p>', feedback: '<p>正确！</p>' },
      { key: 'C', text: '<p>税务部门</p>' },
    ]);
    expect(single?.answer).toEqual(['B']);
    expect(single?.explanation).toBe('<p>依据《烟草专卖法》第十六条。</p>');
    expect(single?.category).toBe('专卖法规/许可证管理');
    expect(single?.tags).toEqual(['法规', '许可证']);
    expect(single?.score).toBe(2);
  });

  it('maps a multiple-answer question with fractions', async () => {
    const { records } = await parseMoodleXmlFile(file);
    const multiple = records.find((record) => record.title === '客户经理工作');
    expect(multiple?.type).toBe('multiple');
    expect(multiple?.answer).toEqual(['A', 'C']);
    expect(multiple?.options.map((option) => option.weight)).toEqual([50, -100, 50]);
    expect(multiple?.category).toBe('营销/客户服务');
  });

  it('escapes plain text when a feedback is html', async () => {
    const { records } = await parseMoodleXmlFile(file);
    const multiple = records.find((record) => record.title === '客户经理工作');
    expect(multiple?.format).toBe('html');
    expect(multiple?.stem).toBe('下列属于客户经理日常工作的有 &lt;多选&gt;：');
    expect(multiple?.options[1]?.feedback).toBe('<p>这是<em>维修工</em>的工作。</p>');
  });

  it('uses idnumber for the externalId', async () => {
    const { records } = await parseMoodleXmlFile(file);
    const single = records.find((record) => record.title === '许可证核发部门');
    const edited = parseMoodleXml(
      `<quiz><question type="truefalse"><questiontext format="plain_text"><text>改过的题</text></questiontext>
       <idnumber>LAW-101</idnumber><answer fraction="100"><text>true</text></answer>
       <answer fraction="0"><text>false</text></answer></question></quiz>`,
      'moodle-multichoice.xml',
    );
    expect(edited.records[0]?.externalId).toBe(single?.externalId);
  });

  it('rejects a single-answer question with two full-credit answers', async () => {
    const result = await parseMoodleXmlFile(file);
    expect(result.problems).toContainEqual({
      file,
      line: 105,
      reason: 'single-answer multichoice needs exactly one 100% answer, found 2',
      severity: 'error',
    });
  });

  it('maps truefalse feedback to the options', async () => {
    const { records } = await parseMoodleXmlFile(file);
    const trueFalse = records.find((record) => record.type === 'truefalse');
    expect(trueFalse?.answer).toEqual(['F']);
    expect(trueFalse?.options[0]?.feedback).toBe('图中是禁止停车标志。');
    expect(trueFalse?.options[1]?.feedback).toBe('答对了。');
  });

  it('warns about embedded files', async () => {
    const result = await parseMoodleXmlFile(file);
    expect(result.problems).toContainEqual({
      file,
      line: 119,
      reason:
        'question refers to embedded files (@@PLUGINFILE@@) that are not imported; they will not show',
      severity: 'warning',
    });
  });

  it('counts shortanswer as unsupported', async () => {
    const result = await parseMoodleXmlFile(file);
    expect(result.records).toHaveLength(3);
    expect(result.unsupported).toEqual({ shortanswer: 1 });
  });
});

describe('parseMoodleXml on broken files', () => {
  it('rejects malformed XML with its line', async () => {
    const file = path.join(FIXTURES, 'malformed.xml');
    const result = await parseMoodleXmlFile(file);
    expect(result.records).toEqual([]);
    expect(result.problems).toEqual([
      {
        file,
        line: 11,
        reason:
          "malformed XML, file not imported: Expected closing tag 'text' (opened in line 11, col 33) instead of closing tag 'questiontext'.",
        severity: 'error',
      },
    ]);
  });

  it('rejects entity declarations', () => {
    const xml = '<?xml version="1.0"?>\n<!DOCTYPE quiz [\n<!ENTITY a "aaaa">\n]>\n<quiz></quiz>';
    const result = parseMoodleXml(xml, 'entities.xml');
    expect(result.records).toEqual([]);
    expect(result.problems[0]?.line).toBe(3);
    expect(result.problems[0]?.reason).toMatch(/^XML entity declarations are not accepted/);
  });

  it('rejects a document that is not a quiz', () => {
    const result = parseMoodleXml('<html><body/></html>', 'page.xml');
    expect(result.records).toEqual([]);
    expect(result.problems[0]?.reason).toMatch(/^root element is not <quiz>/);
  });

  it('rejects a multichoice question without a correct answer', () => {
    const xml = `<quiz>
<question type="multichoice"><questiontext><text>题</text></questiontext><single>false</single>
<answer fraction="0"><text>甲</text></answer><answer fraction="0"><text>乙</text></answer></question>
</quiz>`;
    const result = parseMoodleXml(xml, 'none.xml');
    expect(result.records).toEqual([]);
    expect(result.problems).toEqual([
      {
        file: 'none.xml',
        line: 2,
        reason: 'multiple-answer multichoice has no answer with a positive fraction',
        severity: 'error',
      },
    ]);
  });
});
