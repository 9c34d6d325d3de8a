// The XML that WeChat posts to the official account's webhook and the XML of passive replies.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

/** The webhook's XML could not be read: malformed, not WeChat's shape, or missing a field. */
export class OfficialAccountXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OfficialAccountXmlError';
  }
}

/** A message or event that a follower's action sent to the official account. */
export interface OfficialAccountInbound {
  /** Original id of the official account (`gh_…`). */
  toUserName: string;
  /** The follower's openid under the official account. */
  fromUserName: string;
  /** Seconds since the Unix epoch, set by WeChat. */
  createTime: number;
  /** `text`, `image`, `voice`, `video`, `shortvideo`, `location`, `link` or `event`. */
  msgType: string;
  /** Id of a message. Events have none; kept as text because it exceeds 2^53. */
  msgId: string | null;
  /** Text of a `text` message. */
  content: string | null;
  /** Event name such as `subscribe`, `unsubscribe`, `SCAN` or `CLICK`, for `event` messages. */
  event: string | null;
  /** Menu key, or QR scene (`qrscene_<scene>` on subscribe, `<scene>` on SCAN). */
  eventKey: string | null;
  /** Ticket of the scanned parameterised QR code. */
  ticket: string | null;
}

/** The outer XML of a safe-mode message. */
export interface EncryptedEnvelope {
  toUserName: string | null;
  /** Base64 ciphertext of the message XML. */
  encrypt: string;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  // MsgId does not fit a double and every field is compared as text, so nothing becomes a number.
  parseTagValue: false,
  trimValues: true,
  htmlEntities: false,
});

const builder = new XMLBuilder({ cdataPropName: '__cdata', suppressEmptyNode: false });

/** Returns the text children of the root `<xml>` element by name. */
function readRootFields(xml: string): Record<string, unknown> {
  // WeChat never sends a DOCTYPE, and entity declarations could make a small body expand.
  if (/<!DOCTYPE/i.test(xml)) {
    throw new OfficialAccountXmlError('XML with a DOCTYPE is not accepted');
  }
  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    throw new OfficialAccountXmlError(
      `malformed XML at line ${validation.err.line}: ${validation.err.msg}`,
    );
  }
  const document = parser.parse(xml) as Record<string, unknown>;
  const root = document.xml;
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    throw new OfficialAccountXmlError('the root element is not <xml> with child elements');
  }
  return root as Record<string, unknown>;
}

function optionalText(fields: Record<string, unknown>, name: string): string | null {
  const value = fields[name];
  if (value === undefined) return null;
  if (typeof value !== 'string') {
    throw new OfficialAccountXmlError(`<${name}> must appear once and contain text`);
  }
  return value;
}

function requiredText(fields: Record<string, unknown>, name: string): string {
  const value = optionalText(fields, name);
  if (value === null || value === '') {
    throw new OfficialAccountXmlError(`<${name}> is missing or empty`);
  }
  return value;
}

/** Reads the `<Encrypt>` element of a safe-mode or compatible-mode message. */
export function parseEncryptedEnvelope(xml: string): EncryptedEnvelope {
  const fields = readRootFields(xml);
  return {
    toUserName: optionalText(fields, 'ToUserName'),
    encrypt: requiredText(fields, 'Encrypt'),
  };
}

/** Reads a plaintext (or decrypted) message or event. */
export function parseInboundMessage(xml: string): OfficialAccountInbound {
  const fields = readRootFields(xml);
  const createTimeText = requiredText(fields, 'CreateTime');
  if (!/^\d{1,12}$/.test(createTimeText)) {
    throw new OfficialAccountXmlError(`<CreateTime> ${createTimeText} is not a number of seconds`);
  }
  const msgType = requiredText(fields, 'MsgType');
  const inbound: OfficialAccountInbound = {
    toUserName: requiredText(fields, 'ToUserName'),
    fromUserName: requiredText(fields, 'FromUserName'),
    createTime: Number(createTimeText),
    msgType,
    msgId: optionalText(fields, 'MsgId'),
    content: optionalText(fields, 'Content'),
    event: msgType === 'event' ? requiredText(fields, 'Event') : null,
    eventKey: optionalText(fields, 'EventKey') || null,
    ticket: optionalText(fields, 'Ticket') || null,
  };
  if (msgType !== 'event' && inbound.msgId === null) {
    throw new OfficialAccountXmlError(`<MsgId> is missing from a ${msgType} message`);
  }
  return inbound;
}

export interface TextReply {
  /** The follower's openid. */
  toUserName: string;
  /** Original id of the official account. */
  fromUserName: string;
  /** Seconds since the Unix epoch. */
  createTime: number;
  content: string;
}

/** Builds a passive text reply. Text fields are CDATA sections, split where they contain `]]>`. */
export function buildTextReply(reply: TextReply): string {
  return builder.build({
    xml: {
      ToUserName: { __cdata: reply.toUserName },
      FromUserName: { __cdata: reply.fromUserName },
      CreateTime: reply.createTime,
      MsgType: { __cdata: 'text' },
      Content: { __cdata: reply.content },
    },
  }) as string;
}

export interface EncryptedReply {
  encrypt: string;
  msgSignature: string;
  timestamp: string;
  nonce: string;
}

/** Builds the outer XML of a safe-mode reply. */
export function buildEncryptedReply(reply: EncryptedReply): string {
  return builder.build({
    xml: {
      Encrypt: { __cdata: reply.encrypt },
      MsgSignature: { __cdata: reply.msgSignature },
      TimeStamp: reply.timestamp,
      Nonce: { __cdata: reply.nonce },
    },
  }) as string;
}
