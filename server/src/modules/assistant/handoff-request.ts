// Finds a request to talk to a person (转人工, 人工客服, 找客服, 真人 …) anywhere in a chat message
// and separates it from the question the learner wrote with it, in simplified or traditional
// characters. Pure functions.

import { toSimplified } from './chinese-script.js';

/** A request for a person, with the rest of the message when it carries a question. */
export interface PersonRequest {
  /** The message without the request phrase and fillers, or null when the message contains nothing else. */
  question: string | null;
}

// Politeness and filler words that may surround the request phrase: 我要转人工, 麻烦帮我转一下人工客服.
// At most MAX_LEAD_WORDS of them, because an unbounded repeat makes the search quadratic: the
// regex engine rescans a long run of 我 or 请我 from every start position. With the bound, each
// start costs a constant, so a message of any length is searched in linear time.
const MAX_LEAD_WORDS = 6;
const LEAD = `(?:我要|我想|我需要|请|请你|帮我|麻烦|麻烦你|给我|让我|我){0,${MAX_LEAD_WORDS}}`;
// Verbs that make 人工 a request on their own (转人工, 找人工), and verbs that need an agent noun or
// the end of the clause after 人工, because 需要人工审核 and 要人工确认 are not requests.
const STRONG_VERB = '(?:转接|转到|转给|转|接通|找|呼叫|联系|切换到?|换成?)';
const WEAK_VERB = '(?:要|需要|请求|申请|和|跟|与|接)';
const MEASURE = '(?:一下|一个|一位|个|位|下)?';
const AGENT = '(?:客服人员|客服|服务|坐席|接待|工作人员)';
const TAIL = '(?:一下|吧|呗|啊|呀|哦|了|谢谢|好吗|可以吗|行吗)*';
// Words that start with 人工 or 真人 but do not name a person to talk to.
const NOT_MANUAL_COMPOUND = '(?!智能|成本|费|合成|降雨|呼吸|审核|核对|计算|录入|操作|干预|湖|林)';
const NOT_REAL_PERSON_COMPOUND = '(?!秀|版|实拍|视频|演示|出镜)';
const CLAUSE_END = '(?=$|[\\s\\p{P}\\p{S}]|吧|呗|啊|呀|哦|了|谢)';

// Each alternative is a request even inside a longer message. 人工 alone is not enough, because
// 人工智能 and 人工成本 also contain it: it needs a verb before it (转人工, 找人工) or an agent noun
// after it (人工客服, 人工服务). 客服 needs a verb (找客服, 联系客服), so 客服电话是多少 is a question.
const PERSON_PHRASE = new RegExp(
  [
    `${LEAD}${STRONG_VERB}${MEASURE}人工${NOT_MANUAL_COMPOUND}${AGENT}?${TAIL}`,
    `${LEAD}${WEAK_VERB}${MEASURE}人工(?:${AGENT}|${CLAUSE_END})${TAIL}`,
    `${LEAD}(?:${STRONG_VERB}|${WEAK_VERB})${MEASURE}真人${NOT_REAL_PERSON_COMPOUND}${AGENT}?${TAIL}`,
    `${LEAD}(?:人工|真人)${AGENT}${TAIL}`,
    `${LEAD}(?:${STRONG_VERB}|${WEAK_VERB})${MEASURE}客服(?:人员)?${TAIL}`,
  ].join('|'),
  'gu',
);

// A whole message that is only 人工, 真人 or 客服, with fillers: 人工, 我要人工, 客服在吗.
const BARE_PERSON_WORD = new RegExp(`^${LEAD}(?:人工|真人|客服)(?:在吗|在不在)?${TAIL}$`, 'u');

// Characters that separate the request from the question, trimmed at both ends of the rest.
const EDGE_PUNCTUATION = /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu;
// What is left of 请帮我转人工，谢谢 or 怎么联系人工客服 after the phrase: only fillers and question
// words, so no question of its own.
const FILLER_ONLY =
  /^(?:谢谢|谢了|好吗|可以吗|行吗|吧|呗|啊|呀|哦|吗|呢|嗯|好的|请问|请|麻烦了?|您好|你好|在吗|聊聊|聊一下|说话|沟通|怎么|如何|怎样|咋|在哪|哪里|能不能|能否|可以|我想|想)*$/u;

/**
 * Returns the request for a person in a chat message, or null when the message does not ask for
 * one. The message may put the request anywhere (我要转人工，发票怎么开 or 发票怎么开？转人工),
 * and the rest of it, trimmed, is the question.
 */
export function parsePersonRequest(text: string): PersonRequest | null {
  const normalised = toSimplified(text.normalize('NFKC')).trim();
  const compact = normalised.replace(/\s+/gu, '');
  if (BARE_PERSON_WORD.test(compact)) return { question: null };

  PERSON_PHRASE.lastIndex = 0;
  if (!PERSON_PHRASE.test(normalised)) return null;
  const rest = normalised
    .replace(PERSON_PHRASE, ' ')
    .replace(/\s+/gu, ' ')
    .replace(EDGE_PUNCTUATION, '');
  const restCompact = rest.replace(/[\s\p{P}\p{S}]+/gu, '');
  if (restCompact === '' || FILLER_ONLY.test(restCompact)) return { question: null };
  return { question: rest };
}
