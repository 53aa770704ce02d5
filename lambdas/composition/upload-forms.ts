import { UploadForms } from '../adapters/upload-forms';
import { loadConfig } from '../contract/env';
import { s3 } from './s3';

/** Presigned upload forms to the uploads bucket. */
export const uploadForms = new UploadForms(s3, loadConfig(['bucketName']).bucketName);
