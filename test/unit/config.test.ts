import { loadConfig } from '../../lambdas/contract/env';
import { TEST_ENV } from './support/env';

describe('loadConfig', () => {
  it('reads and types exactly the variables asked for', () => {
    expect(
      loadConfig(['tableName', 'maxUploadBytes', 'berbixApiUrl'], {
        ...TEST_ENV,
        BERBIX_API_URL: 'https://api.berbix.com/',
      }),
    ).toEqual({
      tableName: 'verifications',
      maxUploadBytes: 20971520,
      berbixApiUrl: 'https://api.berbix.com',
    });
  });

  it('throws at once, naming every missing or malformed variable', () => {
    expect(() =>
      loadConfig(['tableName', 'createWaitMs', 'berbixApiUrl'], {
        CREATE_WAIT_MS: 'soon',
        BERBIX_API_URL: 'ftp://x',
      }),
    ).toThrow(/TABLE_NAME.*CREATE_WAIT_MS.*BERBIX_API_URL/);
  });

  it('accepts zero where zero makes sense and refuses it where it does not', () => {
    expect(loadConfig(['imageRetentionSeconds'], { IMAGE_RETENTION_SECONDS: '0' })).toEqual({
      imageRetentionSeconds: 0,
    });
    expect(() => loadConfig(['abandonAfterSeconds'], { ABANDON_AFTER_SECONDS: '0' })).toThrow(
      /ABANDON_AFTER_SECONDS/,
    );
  });
});
