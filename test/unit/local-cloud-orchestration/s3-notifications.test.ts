import type { S3EventRecord } from 'aws-lambda';
import { decodeS3Key, matchesS3Event, targetsOf } from '../../../local/cloud/s3-notifications';
import type { BucketModel } from '../../../local/cloud/template';

const record = (bucket: string, key: string, eventName = 'ObjectCreated:Post') =>
  ({ eventName, s3: { bucket: { name: bucket }, object: { key } } }) as unknown as S3EventRecord;

const buckets: BucketModel[] = [
  {
    logicalId: 'Uploads',
    name: 'uploads-bucket',
    corsOrigins: [],
    notifications: [
      { functionName: 'UploadReceivedFn', events: ['s3:ObjectCreated:*'], prefix: 'uploads/' },
      { functionName: 'PngOnlyFn', events: ['s3:ObjectCreated:Put'], suffix: '.png' },
    ],
  },
];

describe('S3 notifications from the template', () => {
  it('matches a wildcard event filter and an exact one', () => {
    expect(matchesS3Event(['s3:ObjectCreated:*'], 'ObjectCreated:Post')).toBe(true);
    expect(matchesS3Event(['s3:ObjectCreated:Put'], 'ObjectCreated:Post')).toBe(false);
    expect(matchesS3Event(['s3:ObjectCreated:*'], 'ObjectRemoved:Delete')).toBe(false);
  });

  it('decodes keys the way S3 encodes them in events', () => {
    expect(decodeS3Key('uploads/my+file%2B1.jpg')).toBe('uploads/my file+1.jpg');
  });

  it('delivers an upload under the prefix to the function the template names', () => {
    expect(targetsOf(buckets, record('uploads-bucket', 'uploads/vrf_x/document_front/1-ab.jpg'))).toEqual([
      'UploadReceivedFn',
    ]);
  });

  it('delivers nothing for a key outside the prefix or another bucket', () => {
    expect(targetsOf(buckets, record('uploads-bucket', 'other/thing.jpg'))).toEqual([]);
    expect(targetsOf(buckets, record('another-bucket', 'uploads/a.jpg'))).toEqual([]);
  });

  it('honours suffix filters and event names together', () => {
    expect(targetsOf(buckets, record('uploads-bucket', 'x/y.png', 'ObjectCreated:Put'))).toEqual([
      'PngOnlyFn',
    ]);
    expect(targetsOf(buckets, record('uploads-bucket', 'x/y.png', 'ObjectCreated:Post'))).toEqual([]);
  });
});
