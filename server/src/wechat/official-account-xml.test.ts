import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  OfficialAccountXmlError,
  buildEncryptedReply,
  buildTextReply,
  parseEncryptedEnvelope,
  parseInboundMessage,
} from './official-account-xml.js';

// Shapes from WeChat's "receiving ordinary messages" and "receiving event pushes" pages.
const TEXT_MESSAGE = `<xml>
  <ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>
  <FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>
  <CreateTime>1409735668</CreateTime>
  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[我的学时 <b>&amp;</b>]]></Content>
  <MsgId>6054768590064713728</MsgId>
</xml>`;

const SUBSCRIBE_WITH_SCENE = `<xml>
  <ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>
  <FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>
  <CreateTime>123456789</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[subscribe]]></Event>
  <EventKey><![CDATA[qrscene_bind_abc]]></EventKey>
  <Ticket><![CDATA[TICKET]]></Ticket>
</xml>`;

function expectXmlError(action: () => unknown, pattern: RegExp): void {
  expect(action).toThrow(OfficialAccountXmlError);
  expect(action).toThrow(pattern);
}

describe('parseInboundMessage', () => {
  it('reads a text message with its 64-bit MsgId as text', () => {
    const inbound = parseInboundMessage(TEXT_MESSAGE);

    expect(inbound.msgType).toBe('text');
    expect(inbound.msgId).toBe('6054768590064713728');
    expect(inbound.fromUserName).toBe('oyORnuP8q7ou2gfYjqLzSIWZf0rs');
    expect(inbound.toUserName).toBe('gh_10f6c3c3ac5a');
    expect(inbound.createTime).toBe(1409735668);
    expect(inbound.content).toBe('我的学时 <b>&amp;</b>');
    expect(inbound.event).toBeNull();
  });

  it('reads a subscribe event with a QR scene', () => {
    const inbound = parseInboundMessage(SUBSCRIBE_WITH_SCENE);

    expect(inbound.event).toBe('subscribe');
    expect(inbound.eventKey).toBe('qrscene_bind_abc');
    expect(inbound.ticket).toBe('TICKET');
    expect(inbound.msgId).toBeNull();
  });

  it('reads an empty EventKey as null', () => {
    const inbound = parseInboundMessage(
      SUBSCRIBE_WITH_SCENE.replace('qrscene_bind_abc', '').replace(/<Ticket>.*<\/Ticket>/, ''),
    );

    expect(inbound.eventKey).toBeNull();
    expect(inbound.ticket).toBeNull();
  });

  it('rejects malformed XML', () => {
    expectXmlError(() => parseInboundMessage('<xml><ToUserName>'), /malformed XML/);
  });

  it('rejects a DOCTYPE', () => {
    const xml = `<!DOCTYPE xml [<!ENTITY a "aaaa">]>${TEXT_MESSAGE}`;

    expectXmlError(() => parseInboundMessage(xml), /DOCTYPE/);
  });

  it('rejects a root other than xml', () => {
    expectXmlError(() => parseInboundMessage('<message><A>1</A></message>'), /root element/);
  });

  it('rejects a message without MsgId', () => {
    expectXmlError(
      () => parseInboundMessage(TEXT_MESSAGE.replace(/<MsgId>.*<\/MsgId>/, '')),
      /MsgId/,
    );
  });

  it('rejects an event without Event', () => {
    expectXmlError(
      () => parseInboundMessage(SUBSCRIBE_WITH_SCENE.replace(/<Event>.*<\/Event>/, '')),
      /<Event> is missing/,
    );
  });

  it('rejects a repeated field', () => {
    const xml = TEXT_MESSAGE.replace('</xml>', '<Content>again</Content></xml>');

    expectXmlError(() => parseInboundMessage(xml), /<Content> must appear once/);
  });

  it('rejects a CreateTime that is not a number', () => {
    const xml = TEXT_MESSAGE.replace('1409735668', 'yesterday');

    expectXmlError(() => parseInboundMessage(xml), /CreateTime/);
  });
});

describe('parseEncryptedEnvelope', () => {
  it('reads Encrypt and ToUserName', () => {
    const envelope = parseEncryptedEnvelope(
      '<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt></xml>',
    );

    expect(envelope.encrypt).toBe('abc+/=');
    expect(envelope.toUserName).toBe('gh_1');
  });

  it('rejects an envelope without Encrypt', () => {
    expectXmlError(
      () => parseEncryptedEnvelope('<xml><ToUserName>gh_1</ToUserName></xml>'),
      /Encrypt/,
    );
  });
});

describe('buildTextReply', () => {
  const reader = new XMLParser({ parseTagValue: false });

  it('writes text fields as CDATA', () => {
    const xml = buildTextReply({
      toUserName: 'openid-1',
      fromUserName: 'gh_1',
      createTime: 1700000000,
      content: '绑定成功',
    });

    expect(xml).toBe(
      '<xml><ToUserName><![CDATA[openid-1]]></ToUserName><FromUserName><![CDATA[gh_1]]></FromUserName>' +
        '<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>' +
        '<Content><![CDATA[绑定成功]]></Content></xml>',
    );
  });

  it('keeps content with markup and a CDATA terminator intact', () => {
    const content =
      '<a data-miniprogram-appid="wx1" data-miniprogram-path="pages/index/index">打开</a> ]]> &';

    const xml = buildTextReply({ toUserName: 'o', fromUserName: 'gh', createTime: 1, content });
    const parsed = reader.parse(xml) as { xml: { Content: string } };

    expect(parsed.xml.Content).toBe(content);
  });
});

describe('buildEncryptedReply', () => {
  it('writes the four fields of a safe-mode reply', () => {
    const xml = buildEncryptedReply({
      encrypt: 'c2VjcmV0',
      msgSignature: 'abc',
      timestamp: '1700000000',
      nonce: '12345',
    });

    expect(xml).toBe(
      '<xml><Encrypt><![CDATA[c2VjcmV0]]></Encrypt><MsgSignature><![CDATA[abc]]></MsgSignature>' +
        '<TimeStamp>1700000000</TimeStamp><Nonce><![CDATA[12345]]></Nonce></xml>',
    );
  });
});
