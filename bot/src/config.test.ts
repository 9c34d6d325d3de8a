import { describe, expect, it } from 'vitest';
import { loadBotConfig } from './config.js';

const token = 'a'.repeat(32);

describe('loadBotConfig', () => {
  it('applies defaults for a minimal environment', () => {
    const config = loadBotConfig({ BOT_SERVICE_TOKEN: token });

    expect(config.BOT_SERVER_URL).toBe('http://127.0.0.1:3000');
    expect(config.BOT_PUPPET).toBe('wechaty-puppet-mock');
  });

  it('lists every problem at once', () => {
    expect(() =>
      loadBotConfig({ BOT_SERVER_URL: 'not a url', BOT_SERVICE_TOKEN: 'short' }),
    ).toThrow(/BOT_SERVER_URL[\s\S]*BOT_SERVICE_TOKEN/);
  });

  it('requires a puppet token for the service puppet', () => {
    expect(() =>
      loadBotConfig({ BOT_SERVICE_TOKEN: token, BOT_PUPPET: 'wechaty-puppet-service' }),
    ).toThrow(/BOT_PUPPET_TOKEN: is required/);
  });
});
