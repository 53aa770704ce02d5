import type { Verification } from '../../../client';

/** A verification as the API shows it right after creation. */
export const newVerification: Verification = {
  id: 'vrf_aaaaaaaaaaaaaaaaaaaaaaaaaa',
  customer_uid: 'u',
  status: 'awaiting_upload',
  next_step: 'upload_document_front',
  issues: [],
  issue_details: {},
  attempts: {},
  created_at: '2030-01-01T00:00:00Z',
  updated_at: '2030-01-01T00:00:00Z',
};
