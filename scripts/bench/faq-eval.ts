// Evaluation of the assistant's FAQ retrieval on the platform knowledge base, run on the pure
// index (no database, no HTTP):
// 1. accuracy on the development and test splits of the evaluation set at the configured
//    threshold (DEFAULT_FAQ_SCORING), and the threshold that would be best on the development
//    split alone; a third split, eval-holdout.jsonl, is reported as well when the file exists;
// 2. leave-one-out over the knowledge base: each paraphrase is asked with that paraphrase removed
//    from its entry, a check of how retrieval does on wordings it has not seen;
// 3. the dev and test questions against 1,000 entries (the real ones plus fillers made from the course
//    titles of the public catalog), with p50/p99 answer time of searchFaq + decideAnswer.
// Metrics: top-1 accuracy = in-domain questions answered (confidence at or above the threshold)
// with the expected entry; top-3 recall = in-domain questions whose expected entry is among the
// three best-ranked entries, whatever the confidence; correct don't-know = out-of-domain
// questions (expected `none`) that get "don't know".
//
//   node --import tsx scripts/bench/faq-eval.ts [--data DIR] [--rounds 5] [--sweep]
//
// --sweep also grid-searches the scoring weights and threshold on the development split only and
// prints the best settings; copy them into DEFAULT_FAQ_SCORING by hand.
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildFaqIndex,
  decideAnswer,
  DEFAULT_FAQ_SCORING,
  searchFaq,
  type FaqIndex,
  type FaqIndexEntry,
  type FaqMatch,
  type FaqScoring,
} from '@wxlearn/server/modules/assistant/faq-index.js';
import { repoRoot } from '../src/db/paths.js';
import { readFaqJson } from '../src/import/faq.js';
import { parseCatalog } from '../src/import/parse/catalog.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: process.env.DATA_DIR ?? '../shared/data' },
    rounds: { type: 'string', default: '5' },
    sweep: { type: 'boolean', default: false },
    'dev-only': { type: 'boolean', default: false },
  },
});
const dataDir = path.resolve(repoRoot, values.data);
const rounds = Math.max(1, Number(values.rounds) || 5);
const faqDir = path.join(repoRoot, 'scripts', 'data', 'faq');
const LOADED_ENTRIES = 1000;

interface EvalItem {
  question: string;
  /** An entry code, or `none` for a question the knowledge base does not cover. */
  expected: string;
}

interface Metrics {
  inDomain: number;
  outOfDomain: number;
  top1: number;
  top3: number;
  dontKnow: number;
}

async function readEvalFile(name: string): Promise<EvalItem[]> {
  const text = await readFile(path.join(faqDir, name), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, position) => {
      const item = JSON.parse(line) as Partial<EvalItem>;
      if (typeof item.question !== 'string' || typeof item.expected !== 'string') {
        throw new Error(`${name}:${position + 1}: expected {"question", "expected"}`);
      }
      return { question: item.question, expected: item.expected };
    });
}

/** Reads an evaluation file, or returns null when it does not exist. */
async function readOptionalEvalFile(name: string): Promise<EvalItem[] | null> {
  try {
    await access(path.join(faqDir, name));
  } catch {
    return null;
  }
  return readEvalFile(name);
}

function rankAll(index: FaqIndex, items: readonly EvalItem[]): FaqMatch[][] {
  return items.map((item) => searchFaq(index, item.question, 3));
}

function measure(
  items: readonly EvalItem[],
  rankings: readonly FaqMatch[][],
  scoring: Readonly<FaqScoring>,
): Metrics {
  const metrics: Metrics = { inDomain: 0, outOfDomain: 0, top1: 0, top3: 0, dontKnow: 0 };
  items.forEach((item, position) => {
    const matches = rankings[position] ?? [];
    const decision = decideAnswer(matches, scoring);
    if (item.expected === 'none') {
      metrics.outOfDomain++;
      if (decision.kind === 'dont_know') metrics.dontKnow++;
      return;
    }
    metrics.inDomain++;
    if (decision.kind === 'answer' && decision.match.code === item.expected) metrics.top1++;
    if (matches.some((match) => match.code === item.expected)) metrics.top3++;
  });
  return metrics;
}

const percent = (part: number, whole: number) =>
  whole === 0 ? 'n/a' : `${((part / whole) * 100).toFixed(1)}%`;

/** Mean of in-domain top-1 accuracy and correct don't-know rate: what the sweep maximises. */
function balanced(metrics: Metrics): number {
  return (metrics.top1 / metrics.inDomain + metrics.dontKnow / metrics.outOfDomain) / 2;
}

function row(label: string, metrics: Metrics, threshold: number): string {
  return `| ${label} | ${threshold.toFixed(3)} | ${metrics.inDomain} | ${percent(metrics.top1, metrics.inDomain)} | ${percent(metrics.top3, metrics.inDomain)} | ${metrics.outOfDomain} | ${percent(metrics.dontKnow, metrics.outOfDomain)} |`;
}

/** Returns the threshold from 0.2 to 0.7 in steps of 0.005 with the best balanced accuracy. */
function bestThreshold(
  items: readonly EvalItem[],
  rankings: readonly FaqMatch[][],
  scoring: Readonly<FaqScoring>,
): { threshold: number; metrics: Metrics } {
  let best = { threshold: scoring.threshold, metrics: measure(items, rankings, scoring) };
  for (let step = 0; step <= 100; step++) {
    const threshold = 0.2 + step * 0.005;
    const metrics = measure(items, rankings, { ...scoring, threshold });
    if (balanced(metrics) > balanced(best.metrics)) best = { threshold, metrics };
  }
  return best;
}

/** Builds filler entries about catalog courses, as an operator might add them, up to `count`. */
async function fillerEntries(count: number): Promise<FaqIndexEntry[]> {
  const catalog = await parseCatalog(path.join(dataDir, 'cs-self-learning-catalog-zh', 'courses'));
  const titles = [...new Set(catalog.records.map((record) => record.title))].sort();
  if (titles.length === 0) throw new Error(`no course titles found under ${dataDir}`);
  const templates = [
    (title: string) => [`有没有${title}的课程`, `${title}在哪里学`, `想学${title}`],
    (title: string) => [`${title}这门课多少学时`, `${title}学完算几个学时`],
    (title: string) => [`${title}有测验吗`, `${title}的考试在哪`],
    (title: string) => [`${title}适合零基础吗`, `学${title}需要什么基础`],
    (title: string) => [`${title}的课程资料在哪下载`, `${title}有课件吗`],
    (title: string) => [`${title}是谁讲的`, `${title}的老师是谁`],
    (title: string) => [`${title}要学多久`, `${title}大概多长时间学完`],
    (title: string) => [`${title}难不难`, `${title}的难度怎么样`],
  ];
  const fillers: FaqIndexEntry[] = [];
  for (const template of templates) {
    for (const title of titles) {
      if (fillers.length >= count) return fillers;
      const [standardQuestion = '', ...paraphrases] = template(title);
      const code = `filler-${String(fillers.length + 1).padStart(4, '0')}`;
      const answer = `《${title}》的学时、测验和资料以课程详情页的说明为准。`;
      fillers.push({ id: code, code, standardQuestion, paraphrases, answer });
    }
  }
  return fillers;
}

/**
 * Returns the table row of the leave-one-out run: each paraphrase of each entry is asked against
 * an index built without that paraphrase. There are no out-of-domain questions in this run.
 */
function leaveOneOutRow(
  entries: readonly FaqIndexEntry[],
  synonyms: Parameters<typeof buildFaqIndex>[1],
  scoring: Readonly<FaqScoring>,
): string {
  const items: EvalItem[] = [];
  const rankings: FaqMatch[][] = [];
  entries.forEach((entry, entryPosition) => {
    entry.paraphrases.forEach((paraphrase, paraphrasePosition) => {
      const reduced = entries.map((other, otherPosition) =>
        otherPosition === entryPosition
          ? {
              ...other,
              paraphrases: other.paraphrases.filter(
                (_, position) => position !== paraphrasePosition,
              ),
            }
          : other,
      );
      items.push({ question: paraphrase, expected: entry.code });
      rankings.push(searchFaq(buildFaqIndex(reduced, synonyms, scoring), paraphrase, 3));
    });
  });
  return row('knowledge base, leave one out', measure(items, rankings, scoring), scoring.threshold);
}

function quantile(sorted: readonly number[], share: number): number {
  const position = Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1);
  return sorted[Math.max(0, position)] ?? 0;
}

/** Grid-searches weights and threshold on the development split; prints the ten best settings. */
function sweep(
  entries: readonly FaqIndexEntry[],
  synonyms: Parameters<typeof buildFaqIndex>[1],
  dev: readonly EvalItem[],
) {
  const results: { scoring: FaqScoring; threshold: number; metrics: Metrics }[] = [];
  const steps = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
  for (const wordWeight of steps) {
    for (const characterWeight of steps) {
      const ngramWeight = Math.round((1 - wordWeight - characterWeight) * 10) / 10;
      if (ngramWeight < 0) continue;
      for (const shortNgramWeight of new Set([ngramWeight, 0.3, 0.5])) {
        const scoring = {
          ...DEFAULT_FAQ_SCORING,
          wordWeight,
          characterWeight,
          ngramWeight,
          shortNgramWeight,
        };
        const index = buildFaqIndex(entries, synonyms, scoring);
        const best = bestThreshold(dev, rankAll(index, dev), scoring);
        results.push({ scoring, ...best });
      }
    }
  }
  results.sort((a, b) => balanced(b.metrics) - balanced(a.metrics));
  process.stdout.write('\nBest settings on the development split (balanced accuracy):\n\n');
  for (const result of results.slice(0, 10)) {
    const { wordWeight, characterWeight, ngramWeight, shortNgramWeight } = result.scoring;
    process.stdout.write(
      `word ${wordWeight} character ${characterWeight} ngram ${ngramWeight} short ngram ${shortNgramWeight} threshold ${result.threshold.toFixed(3)}: top-1 ${percent(result.metrics.top1, result.metrics.inDomain)}, don't know ${percent(result.metrics.dontKnow, result.metrics.outOfDomain)}\n`,
    );
  }
}

async function main(): Promise<void> {
  const knowledgeBase = await readFaqJson(path.join(faqDir, 'platform-faq.json'));
  const errors = knowledgeBase.problems.filter((problem) => problem.severity !== 'warning');
  if (errors.length > 0) {
    throw new Error(`platform-faq.json is invalid: ${errors.map((e) => e.reason).join('; ')}`);
  }
  const entries: FaqIndexEntry[] = knowledgeBase.entries.map((entry) => ({
    id: entry.code,
    code: entry.code,
    standardQuestion: entry.standardQuestion,
    paraphrases: entry.paraphrases,
    answer: entry.answer,
  }));
  const dev = await readEvalFile('eval-dev.jsonl');
  const test = await readEvalFile('eval-test.jsonl');
  const holdout = await readOptionalEvalFile('eval-holdout.jsonl');
  const codes = new Set(entries.map((entry) => entry.code));
  for (const item of [...dev, ...test, ...(holdout ?? [])]) {
    if (item.expected !== 'none' && !codes.has(item.expected)) {
      throw new Error(`evaluation item '${item.question}' expects unknown entry ${item.expected}`);
    }
  }

  const scoring = DEFAULT_FAQ_SCORING;
  const index = buildFaqIndex(entries, knowledgeBase.synonyms, scoring);
  const devRankings = rankAll(index, dev);
  if (values['dev-only']) {
    const devBest = bestThreshold(dev, devRankings, scoring);
    process.stdout.write(
      `${[
        '| split | threshold | in-domain | top-1 | top-3 recall | out-of-domain | correct "don\'t know" |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        row('dev', measure(dev, devRankings, scoring), scoring.threshold),
        row('dev, best threshold on dev', devBest.metrics, devBest.threshold),
        leaveOneOutRow(entries, knowledgeBase.synonyms, scoring),
      ].join('\n')}\n`,
    );
    if (values.sweep) sweep(entries, knowledgeBase.synonyms, dev);
    return;
  }
  const testRankings = rankAll(index, test);
  const holdoutRankings = holdout === null ? null : rankAll(index, holdout);
  const devBest = bestThreshold(dev, devRankings, scoring);

  const fillers = await fillerEntries(LOADED_ENTRIES - entries.length);
  const buildStartedAt = performance.now();
  const large = buildFaqIndex([...entries, ...fillers], knowledgeBase.synonyms, scoring);
  const buildMs = performance.now() - buildStartedAt;
  const all = [...dev, ...test];
  const timings: number[] = [];
  let largeRankings: FaqMatch[][] = [];
  for (let round = 0; round < rounds; round++) {
    largeRankings = all.map((item) => {
      const startedAt = performance.now();
      const matches = searchFaq(large, item.question, 3);
      decideAnswer(matches, scoring);
      timings.push(performance.now() - startedAt);
      return matches;
    });
  }
  timings.sort((a, b) => a - b);

  const header = [
    '| split | threshold | in-domain | top-1 | top-3 recall | out-of-domain | correct "don\'t know" |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  const lines = [
    `Knowledge base: ${entries.length} entries, ${knowledgeBase.synonyms.length} synonym groups.`,
    '',
    ...header,
    row('dev', measure(dev, devRankings, scoring), scoring.threshold),
    row('test', measure(test, testRankings, scoring), scoring.threshold),
    ...(holdout === null || holdoutRankings === null
      ? []
      : [row('holdout', measure(holdout, holdoutRankings, scoring), scoring.threshold)]),
    row('dev, best threshold on dev', devBest.metrics, devBest.threshold),
    row(
      'test at that threshold',
      measure(test, testRankings, { ...scoring, threshold: devBest.threshold }),
      devBest.threshold,
    ),
    leaveOneOutRow(entries, knowledgeBase.synonyms, scoring),
    row(
      `dev + test, ${large.entries.length} entries`,
      measure(all, largeRankings, scoring),
      scoring.threshold,
    ),
    '',
    `Answer time with ${large.entries.length} entries (${large.questionEntries.length} questions), ` +
      `${timings.length} answers (${all.length} questions x ${rounds} rounds): ` +
      `p50 ${quantile(timings, 0.5).toFixed(2)} ms, p99 ${quantile(timings, 0.99).toFixed(2)} ms, ` +
      `max ${quantile(timings, 1).toFixed(2)} ms. Index build: ${buildMs.toFixed(0)} ms.`,
    '',
    'Command: node --import tsx scripts/bench/faq-eval.ts' +
      (rounds === 5 ? '' : ` --rounds ${rounds}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  if (values.sweep) sweep(entries, knowledgeBase.synonyms, dev);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
