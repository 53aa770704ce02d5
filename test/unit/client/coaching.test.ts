import { coachingFor, coachingLines, describeImageProblem, type Issue } from '../../../client';

const ISSUES: Issue[] = [
  'bad_upload',
  'text_unreadable',
  'no_face_on_id_detected',
  'incomplete_barcode_detected',
  'unsupported_id_type',
  'bad_selfie',
];

describe('coaching for issues', () => {
  it('has a sentence for every issue the spec lists', () => {
    for (const issue of ISSUES) expect(coachingFor(issue)).toMatch(/^[A-Z].{20,}\.$/);
  });

  it('keeps the order Berbix gives, most important first', () => {
    const lines = coachingLines({ issues: ['text_unreadable', 'no_face_on_id_detected'], issue_details: {} });
    expect(lines).toEqual([coachingFor('text_unreadable'), coachingFor('no_face_on_id_detected')]);
  });

  it("tells a passport's visa page from another unsupported document", () => {
    const visa = coachingFor('unsupported_id_type', { unsupported_id_type: { visa_page_of_passport: true } });
    expect(visa).toContain('photo page');
    expect(coachingFor('unsupported_id_type')).not.toContain('photo page');
  });

  it("explains a locally refused upload by the server's reason", () => {
    const text = coachingFor('bad_upload', {
      bad_upload: { reason: 'dimensions_too_large', source: 'local' },
    });
    expect(text).toBe(describeImageProblem('dimensions_too_large'));
    expect(text).toContain('10,000 pixels');
    expect(describeImageProblem('too_large')).toContain('20 MiB');
  });
});
