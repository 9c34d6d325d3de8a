// Text that followers read in the official account's chat. It is Chinese, like every text a
// learner reads. A mini-program link is an <a> element with data-miniprogram-appid and
// data-miniprogram-path, which WeChat renders as a link that opens the mini-program.

/** Home page of the mini-program, as listed in its app config. */
export const MINI_PROGRAM_HOME_PATH = 'pages/index/index';

export function miniProgramLink(
  appId: string,
  text = '进入企业学堂',
  path = MINI_PROGRAM_HOME_PATH,
) {
  return `<a data-miniprogram-appid="${appId}" data-miniprogram-path="${path}">${text}</a>`;
}

export function welcomeReply(miniProgramAppId: string): string {
  return (
    '欢迎关注企业学堂！这里会推送每周推荐课程和学习提醒。\n' +
    `学习课程、查看学时请${miniProgramLink(miniProgramAppId)}。`
  );
}

/** The reply to a text message until the answering service is connected. */
export function textPlaceholderReply(miniProgramAppId: string): string {
  return (
    '你好，已收到你的消息。智能问答正在准备中，暂时不能直接回答问题。\n' +
    `学习课程、查看学时请${miniProgramLink(miniProgramAppId)}。`
  );
}

export function unsupportedMessageReply(): string {
  return '暂时只能处理文字消息，请用文字描述你的问题。';
}

export function faqReply(miniProgramAppId: string): string {
  return (
    '有问题可以直接在这里发文字提问，例如"怎么查看我的学时"。\n' +
    `学时记录在${miniProgramLink(miniProgramAppId, '小程序"我的"页面', 'pages/me/index')}中查看。`
  );
}

export const BINDING_SUCCEEDED_REPLY =
  '绑定成功！公众号已与你的企业学堂账号关联，之后的学习提醒会发到这里。';

export const BINDING_EXPIRED_REPLY =
  '绑定二维码已失效或已被使用，请在小程序中重新生成二维码后再扫码。';
