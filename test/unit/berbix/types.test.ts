import { COUNTRY_CODES, isCountryCode, isIdType, isIssue, isNextStep } from '../../../lambdas/berbix';

describe('Berbix value guards', () => {
  it('lists the 249 assigned ISO 3166-1 alpha-2 codes once each', () => {
    expect(COUNTRY_CODES).toHaveLength(249);
    expect(new Set(COUNTRY_CODES).size).toBe(249);
  });

  it('accepts assigned upper-case country codes and nothing else', () => {
    for (const code of ['US', 'CA', 'GB', 'DE', 'AX', 'SS']) expect(isCountryCode(code)).toBe(true);
    for (const code of ['us', 'XX', 'UK', 'USA', '', 1, null]) expect(isCountryCode(code)).toBe(false);
  });

  it('knows the id types, next steps and issues of the spec', () => {
    expect(['P', 'DL', 'PRC', 'PC', 'ID'].every(isIdType)).toBe(true);
    expect(isIdType('SSN')).toBe(false);
    expect(isNextStep('upload_document_back')).toBe(true);
    expect(isNextStep('upload_selfie')).toBe(false);
    expect(isIssue('incomplete_barcode_detected')).toBe(true);
    expect(isIssue('blurry')).toBe(false);
  });
});
