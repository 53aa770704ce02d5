/** S3 bucket notifications as the template configures them: which functions an event goes to. */
import type { S3EventRecord } from 'aws-lambda';
import type { BucketModel } from './template';

/** Matches `s3:ObjectCreated:*` style event filters against a record's `ObjectCreated:Post`. */
export function matchesS3Event(filters: string[], eventName: string): boolean {
  const name = `s3:${eventName}`;
  return filters.some((f) => (f.endsWith('*') ? name.startsWith(f.slice(0, -1)) : name === f));
}

/** S3 sends keys URL-encoded (space as `+`); filter rules apply to the key itself. */
export const decodeS3Key = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));

/** The functions a record is delivered to: event name, prefix and suffix must all match. */
export function targetsOf(buckets: BucketModel[], record: S3EventRecord): string[] {
  const bucket = buckets.find((b) => b.name === record.s3.bucket.name);
  const key = decodeS3Key(record.s3.object.key);
  return (bucket?.notifications ?? [])
    .filter(
      (n) =>
        matchesS3Event(n.events, record.eventName) &&
        (!n.prefix || key.startsWith(n.prefix)) &&
        (!n.suffix || key.endsWith(n.suffix)),
    )
    .map((n) => n.functionName);
}
