import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { VerificationStorage } from '../../lib/constructs/verification-storage';

const storageTemplate = (props: ConstructorParameters<typeof VerificationStorage>[2]) => {
  const stack = new Stack();
  new VerificationStorage(stack, 'Storage', props);
  return Template.fromStack(stack);
};

describe('VerificationStorage', () => {
  it('allows browser uploads from the configured origins only, with POST only', () => {
    const template = storageTemplate({
      allowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          {
            AllowedMethods: ['POST'],
            AllowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
            MaxAge: 3000,
          },
        ],
      },
    });
  });

  it('refuses a wildcard or a path as an allowed origin', () => {
    expect(() => storageTemplate({ allowedOrigins: ['*'] })).toThrow(/not an exact origin/);
    expect(() => storageTemplate({ allowedOrigins: ['https://*.example.com'] })).toThrow(
      /not an exact origin/,
    );
    expect(() => storageTemplate({ allowedOrigins: ['https://example.com/app'] })).toThrow(
      /not an exact origin/,
    );
  });

  it('expires raw uploads after the configured whole number of days', () => {
    storageTemplate({ rawUploadExpiration: Duration.days(3) }).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'ExpireRawUploads',
            Prefix: 'uploads/',
            ExpirationInDays: 3,
            Status: 'Enabled',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
    });
    expect(() => storageTemplate({ rawUploadExpiration: Duration.hours(12) })).toThrow(
      /whole number of days/,
    );
  });

  it('disables ACLs on both buckets: log delivery is granted by bucket policy', () => {
    const template = storageTemplate({});
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.AccessControl).toBeUndefined();
      expect(bucket.Properties.OwnershipControls).toEqual({
        Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
      });
    }
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
          }),
        ]),
      },
    });
  });

  it('sends the uploads bucket access logs to a non-public log bucket, both TLS-only', () => {
    const template = storageTemplate({});
    const buckets = template.findResources('AWS::S3::Bucket');
    const [logsId] = Object.entries(buckets).find(([, b]) => !b.Properties.LoggingConfiguration) ?? [];
    expect(logsId).toBeDefined();
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'uploads-bucket/' },
    });
    expect(buckets[logsId ?? '']?.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    for (const id of Object.keys(buckets)) {
      const policy = policies.find((p) => (p.Properties.Bucket as { Ref?: string }).Ref === id);
      expect({ id, statements: policy?.Properties.PolicyDocument.Statement }).toEqual({
        id,
        statements: expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      });
    }
  });
});
