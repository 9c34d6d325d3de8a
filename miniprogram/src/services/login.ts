import Taro from '@tarojs/taro';
import type { DevLoginCodeRequest, DevLoginCodeResponse } from '@wxlearn/api-types';

import { isDevLoginEnabled } from './env';
import { LoginUnavailableError, WechatLoginError } from './errors';
import type { LoginCodeSource } from './http';
import type { SessionStore } from './session';

const DEV_LEARNER_KEY = 'wxlearn.devLearner';

/** Login code from `wx.login`, for the weapp build. */
export const wechatLoginCode: LoginCodeSource = async () => {
  let code: string | undefined;
  try {
    code = (await Taro.login()).code;
  } catch (error) {
    throw new WechatLoginError(`wx.login failed: ${String(error)}`);
  }
  if (!code) throw new WechatLoginError('wx.login returned no code');
  return code;
};

/** Login code minted by the server's development endpoint for the given test learner. */
export function devLoginCode(learner: string | null): LoginCodeSource {
  return async (publicRequest) => {
    const body: DevLoginCodeRequest = learner ? { learner } : {};
    const response = await publicRequest<DevLoginCodeResponse>('POST', '/api/dev/login-code', body);
    return response.code;
  };
}

const loginUnavailable: LoginCodeSource = async () => {
  throw new LoginUnavailableError('this H5 build has no login: build it with DEV_LOGIN=true');
};

/**
 * Picks the test learner of the development H5 build from the page URL (`?learner=NAME` before
 * the `#`), and remembers it. Changing the learner clears the stored session, which belongs to
 * the previous learner. Returns null when no learner was ever chosen (the server then picks one).
 */
function selectDevLearner(sessionStore: SessionStore): string | null {
  const previous: unknown = Taro.getStorageSync(DEV_LEARNER_KEY);
  const stored = typeof previous === 'string' && previous !== '' ? previous : null;
  const fromUrl = new URLSearchParams(window.location.search).get('learner');
  if (!fromUrl || fromUrl === stored) return stored;
  Taro.setStorageSync(DEV_LEARNER_KEY, fromUrl);
  sessionStore.clear();
  return fromUrl;
}

/**
 * Returns how this build obtains login codes: `wx.login` in weapp, the development endpoint in
 * an H5 build made with `DEV_LOGIN=true`, and otherwise a source that always fails with
 * LoginUnavailableError, whose message asks the learner to use the mini-program.
 */
export function platformLoginCodeSource(sessionStore: SessionStore): LoginCodeSource {
  // Compared with the literal platform (not through env.ts) so that the minifier drops the other
  // platform's branch from each build.
  if (process.env.TARO_ENV !== 'h5') return wechatLoginCode;
  if (isDevLoginEnabled()) return devLoginCode(selectDevLearner(sessionStore));
  return loginUnavailable;
}
