import { realBerbixFromEnv } from '../../../local/cloud';

describe('choosing Berbix for the local cloud', () => {
  const real = {
    BERBIX_API_URL: 'https://api.berbix.com',
    BERBIX_API_SECRET: 'secret_live_x',
    BERBIX_TEMPLATE_KEY: 'tpk_x',
  };

  it('uses real Berbix when the URL, the secret and the template key are all set', () => {
    expect(realBerbixFromEnv(real)).toEqual({
      apiUrl: 'https://api.berbix.com',
      apiSecret: 'secret_live_x',
      templateKey: 'tpk_x',
    });
  });

  it('keeps the sandbox when any of the three is missing', () => {
    for (const key of Object.keys(real) as (keyof typeof real)[]) {
      expect(realBerbixFromEnv({ ...real, [key]: '' })).toBeUndefined();
    }
    expect(realBerbixFromEnv({})).toBeUndefined();
  });
});
