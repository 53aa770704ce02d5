import { UploadStore } from '../adapters/storage';
import { loadConfig } from '../contract/env';
import { s3 } from './s3';

/** The uploads bucket. */
export const uploadStore = new UploadStore(s3, loadConfig(['bucketName']).bucketName);
