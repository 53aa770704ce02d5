import { createHmac, timingSafeEqual } from 'node:crypto';

/** A refusal in S3's terms: HTTP status, error code, message and the extra XML elements S3 adds. */
export interface S3Refusal {
  status: number;
  code: string;
  message: string;
  details?: Record<string, string | number>;
}

export interface PostPolicyRequest {
  /** The bucket from the URL. */
  bucket: string;
  /** Form fields before the file, names lower-cased, in order. */
  fields: Map<string, string>;
  /** The `file` part's own file name (for `${filename}` in the key). */
  filename: string;
  fileSize: number;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  now: Date;
}

/** Fields S3 does not require a policy condition for. */
const EXEMPT_FIELDS = new Set(['policy', 'x-amz-signature', 'file']);

const denied = (message: string): S3Refusal => ({ status: 403, code: 'AccessDenied', message });
const policyFailed = (condition: unknown) =>
  denied(`Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`);

/**
 * Checks a browser-style POST upload as S3 does for SigV4 POST policies: the signature over the
 * base64 policy, its expiry, every condition (eq, starts-with, content-length-range, object form)
 * and that no form field goes unmentioned. Returns the object key to store, or S3's refusal.
 */
export function checkPostPolicy(request: PostPolicyRequest): { key: string } | S3Refusal {
  const { fields } = request;
  const rawKey = fields.get('key');
  if (rawKey === undefined || rawKey.length === 0) {
    return { status: 400, code: 'InvalidArgument', message: "Bucket POST must contain a field named 'key'." };
  }
  const key = rawKey.replaceAll('${filename}', request.filename);
  const policy = fields.get('policy');
  if (policy === undefined) return denied('Access Denied');

  const authRefusal = checkSignature(request, policy);
  if (authRefusal) return authRefusal;

  let document: { expiration?: unknown; conditions?: unknown };
  try {
    document = JSON.parse(Buffer.from(policy, 'base64').toString('utf8')) as typeof document;
  } catch {
    return { status: 400, code: 'InvalidPolicyDocument', message: 'Invalid Policy: Invalid JSON.' };
  }
  const expiration = typeof document.expiration === 'string' ? Date.parse(document.expiration) : NaN;
  if (Number.isNaN(expiration) || !Array.isArray(document.conditions)) {
    return {
      status: 400,
      code: 'InvalidPolicyDocument',
      message: 'Invalid Policy: expiration and conditions are required.',
    };
  }
  if (request.now.getTime() > expiration) return denied('Invalid according to Policy: Policy expired.');

  const valueOf = (name: string): string | undefined => {
    const field = name.replace(/^\$/, '').toLowerCase();
    if (field === 'bucket') return request.bucket;
    if (field === 'key') return key;
    return fields.get(field);
  };
  const covered = new Set<string>();
  for (const condition of document.conditions as unknown[]) {
    const refusal = checkCondition(condition, valueOf, request.fileSize, covered);
    if (refusal) return refusal;
  }
  const extra = [...fields.keys()].filter(
    (name) => !EXEMPT_FIELDS.has(name) && !name.startsWith('x-ignore-') && !covered.has(name),
  );
  if (extra.length > 0) return denied(`Invalid according to Policy: Extra input fields: ${extra.join(', ')}`);
  return { key };
}

function checkSignature(request: PostPolicyRequest, policy: string): S3Refusal | undefined {
  const { fields } = request;
  if (fields.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') {
    return {
      status: 400,
      code: 'InvalidArgument',
      message: 'Only AWS4-HMAC-SHA256 POST policies are supported.',
    };
  }
  const [accessKeyId, date, region, service, terminator] = (fields.get('x-amz-credential') ?? '').split('/');
  if (!accessKeyId || !date || !/^\d{8}$/.test(date) || service !== 's3' || terminator !== 'aws4_request') {
    return { status: 400, code: 'InvalidArgument', message: 'Invalid x-amz-credential.' };
  }
  if (accessKeyId !== request.credentials.accessKeyId) {
    return {
      status: 403,
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
    };
  }
  if (region !== request.region) {
    return {
      status: 400,
      code: 'AuthorizationQueryParametersError',
      message: `Error parsing the X-Amz-Credential parameter; the region '${region}' is wrong; expecting '${request.region}'`,
    };
  }
  const expected = signPolicy(policy, request.credentials.secretAccessKey, date, region);
  const given = Buffer.from(fields.get('x-amz-signature') ?? '', 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      status: 403,
      code: 'SignatureDoesNotMatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    };
  }
  return undefined;
}

/** SigV4 for POST: hex HMAC of the base64 policy with the date/region/s3 signing key. */
function signPolicy(policy: string, secretAccessKey: string, date: string, region: string): Buffer {
  const hmac = (key: string | Buffer, data: string) =>
    createHmac('sha256', key).update(data, 'utf8').digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), 's3'), 'aws4_request');
  return Buffer.from(createHmac('sha256', signingKey).update(policy, 'utf8').digest('hex'), 'utf8');
}

function checkCondition(
  condition: unknown,
  valueOf: (name: string) => string | undefined,
  fileSize: number,
  covered: Set<string>,
): S3Refusal | undefined {
  if (typeof condition === 'object' && condition !== null && !Array.isArray(condition)) {
    // {"field": "value"}: an exact match.
    for (const [name, expected] of Object.entries(condition)) {
      covered.add(name.toLowerCase());
      if (valueOf(name) !== expected) return policyFailed(condition);
    }
    return undefined;
  }
  if (!Array.isArray(condition) || condition.length !== 3) {
    return {
      status: 400,
      code: 'InvalidPolicyDocument',
      message: `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`,
    };
  }
  const [operator, first, second] = condition as [unknown, unknown, unknown];
  const op = String(operator).toLowerCase();
  if (op === 'content-length-range') {
    const [min, max] = [Number(first), Number(second)];
    if (fileSize > max) {
      return {
        status: 400,
        code: 'EntityTooLarge',
        message: 'Your proposed upload exceeds the maximum allowed size',
        details: { ProposedSize: fileSize, MaxSizeAllowed: max },
      };
    }
    if (fileSize < min) {
      return {
        status: 400,
        code: 'EntityTooSmall',
        message: 'Your proposed upload is smaller than the minimum allowed size',
        details: { ProposedSize: fileSize, MinSizeAllowed: min },
      };
    }
    return undefined;
  }
  if (
    (op !== 'eq' && op !== 'starts-with') ||
    typeof first !== 'string' ||
    typeof second !== 'string' ||
    !first.startsWith('$')
  ) {
    return {
      status: 400,
      code: 'InvalidPolicyDocument',
      message: `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`,
    };
  }
  covered.add(first.slice(1).toLowerCase());
  const actual = valueOf(first);
  const ok = op === 'eq' ? actual === second : (actual ?? '').startsWith(second);
  return ok ? undefined : policyFailed(condition);
}
