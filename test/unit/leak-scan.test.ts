/**
 * The leak scan the local-cloud projects run in their global teardown (test/integration/support/
 * leak-scan.ts) must be able to fail: each kind of needle, planted in each kind of haystack the
 * teardown reads, is found; clean haystacks give nothing; a finding never prints the needle.
 */
import { presets, SAMPLE_AAMVA, SAMPLE_PERSON } from '../../local/test-images';
import {
  byteNeedles,
  describeFindings,
  distinctiveSlices,
  isBackendResult,
  personalFieldNeedles,
  scanForLeaks,
  secretNeedles,
  tokenNeedles,
  type Haystack,
  type Needle,
} from '../integration/support/leak-scan';

const front = presets.driversLicenseFront();
const passport = presets.passport();
const aamva = Buffer.from(SAMPLE_AAMVA, 'latin1');
const secrets = {
  apiSecret: 'secret_test_sandbox_0123456789abcdef',
  webhookSecret: 'whsec_local_5f0e1d2c3b4a',
};
const tokens = [
  { token: 'mB3x9Q_7kLzP2vY8wR1tN5sJ4hG6fD0a', kind: 'access', transactionId: 7 },
  { token: 'Zq8W-2nVb5Xc1Lk9Jh3Gf7Ds4Ap6Om0Iu', kind: 'client', transactionId: 7 },
  { token: 'rT6yU1iO8pA3sD5fG9hJ2kL4zX7cV0bN', kind: 'refresh', transactionId: 7 },
] as const;

const needles: Needle[] = [
  ...tokenNeedles([...tokens]),
  ...secretNeedles(secrets),
  ...byteNeedles('image bytes', [...distinctiveSlices(front.bytes), ...distinctiveSlices(passport.bytes)]),
  ...byteNeedles('id scan bytes', distinctiveSlices(aamva)),
  ...personalFieldNeedles([front.description!.fields!, passport.description!.fields!, SAMPLE_PERSON]),
];

/** Clean haystacks as the teardown collects them, with `$` where a leak can be planted. */
const haystacks: Record<string, string> = {
  'the log': [
    '[http] POST /verifications → 201',
    '[CreateTransactionFn] {"level":"INFO","message":"Berbix transaction created","verificationId":"vrf_zodw6jxgl7brmiaafeeljwq3jm","nextStep":"upload_document_front","detail":"$"}',
    '[CreateTransactionFn] REPORT RequestId: cbaffc43-1118-496e-bb6e-247d4c7cc649\tDuration: 252.75 ms',
  ].join('\n'),
  'an answer of the API, body':
    '{"id":"vrf_zodw6jxgl7brmiaafeeljwq3jm","status":"awaiting_upload","note":"$"}',
  'an answer of S3, headers': 'etag: "9b2cf535f27731c974343645a3985328"\nx-amz-request-id: $',
  'an execution history': [
    '{"name":"vrf_zodw6jxgl7brmiaafeeljwq3jm","status":"SUCCEEDED","input":"{\\"verificationId\\":\\"vrf_zodw6jxgl7brmiaafeeljwq3jm\\"}"}',
    '{"id":4,"type":"TaskStateExited","stateExitedEventDetails":{"name":"SubmitUpload","output":"{\\"key\\":\\"uploads/vrf_zodw6jxgl7brmiaafeeljwq3jm/document_front/1\\",\\"x\\":\\"$\\"}"}}',
  ].join('\n'),
  'the S3 keys':
    '{"bucket":"berbixserverless-uploads","key":"uploads/vrf_zodw6jxgl7brmiaafeeljwq3jm/$","size":3712}',
  'the events': '{"detailType":"VerificationCompleted","detail":{"verificationId":"vrf_x","action":"$"}}',
  "the CLI's stdout": '✔ Completed: action accept, no flags\n  Fields read: family_name (high)\n$',
};
const clean = (text: string) => text.replaceAll('$', '');
const planted = (text: string, leak: string) => text.replace('$', leak);

const front64 = front.bytes.toString('base64');
/** Each kind of leak, as it would really show. */
const leaks: { kind: Needle['kind']; leak: string }[] = [
  { kind: 'Berbix access token', leak: `Bearer ${tokens[0].token}` },
  { kind: 'Berbix client token', leak: tokens[1].token },
  { kind: 'Berbix refresh token', leak: `refresh_token=${tokens[2].token}` },
  { kind: 'Berbix API secret', leak: secrets.apiSecret },
  { kind: 'Berbix API secret', leak: `Basic ${Buffer.from(`${secrets.apiSecret}:`).toString('base64')}` },
  { kind: 'webhook secret', leak: secrets.webhookSecret },
  { kind: 'image bytes', leak: front64.slice(0, 120) },
  { kind: 'image bytes', leak: front64.slice(4000, 5400) },
  { kind: 'image bytes', leak: front.bytes.toString('base64url').slice(-200) },
  { kind: 'image bytes', leak: front.bytes.subarray(1).toString('base64').slice(2000, 3000) },
  { kind: 'image bytes', leak: front.bytes.subarray(2).toString('base64').slice(2000, 3000) },
  { kind: 'image bytes', leak: front.bytes.toString('hex').slice(0, 200).toUpperCase() },
  { kind: 'image bytes', leak: JSON.stringify(front.bytes).slice(0, 300) },
  {
    kind: 'image bytes',
    leak: `<Buffer ${front.bytes.toString('hex').slice(0, 120).replace(/(..)/g, '$1 ')}`,
  },
  { kind: 'image bytes', leak: passport.bytes.toString('base64') },
  { kind: 'id scan bytes', leak: aamva.toString('base64') },
  { kind: 'personal field', leak: 'Lovelace' },
  { kind: 'personal field', leak: 'DCSLOVELACE' },
  { kind: 'personal field', leak: '1990-12-10' },
  { kind: 'personal field', leak: 'DBB12101990' },
  { kind: 'personal field', leak: 'D1234567' },
  { kind: 'personal field', leak: 'P98765432' },
  { kind: 'personal field', leak: '12 ANALYTICAL WAY' },
  { kind: 'personal field', leak: 'San Francisco' },
  { kind: 'personal field', leak: 'postal code 94105,' },
  { kind: 'personal field', leak: 'middle name King.' },
];

describe('the leak scan', () => {
  it('finds nothing in clean haystacks', () => {
    const found = scanForLeaks(
      Object.entries(haystacks).map(([where, text]) => ({ where, text: clean(text) })),
      needles,
    );
    expect(found).toEqual([]);
  });

  it.each(Object.keys(haystacks))('finds every kind of needle planted in %s, on its line', (where) => {
    const text = haystacks[where]!;
    const line = text.slice(0, text.indexOf('$')).split('\n').length;
    for (const { kind, leak } of leaks) {
      const found = scanForLeaks([{ where, text: planted(text, leak) }], needles);
      expect({ leak: leak.slice(0, 40), kinds: [...new Set(found.map((f) => f.kind))] }).toEqual({
        leak: leak.slice(0, 40),
        kinds: [kind],
      });
      expect(found.every((f) => f.where === where && f.line === line)).toBe(true);
    }
  });

  it('finds each needle kind among many haystacks and needles, in the one haystack that holds it', () => {
    const many: Haystack[] = Array.from({ length: 200 }, (_, i) => ({
      where: `answer ${i}`,
      text: clean(haystacks['an answer of the API, body']!).repeat(50),
    }));
    many[137] = { where: 'answer 137', text: `${many[137]!.text}\n${tokens[1].token}` };
    expect(scanForLeaks(many, needles)).toEqual([
      { kind: 'Berbix client token', detail: 'transaction 7', where: 'answer 137', line: 2 },
    ]);
  });

  it('does not take short or embedded numbers and names for personal fields', () => {
    const text = [
      'timestamp 1712101990123, sizes 394105 and 941056',
      'thinking, Kingdom, Adam, metadata, king_size, sanfrancisco_',
      'RequestId: cbaffc43-1118-496e-bb6e-247d4c7cc649',
      'RequestId: 0c6e2d1a-7f3b-4c2e-9a1d-3e94105af2c1',
    ].join('\n');
    expect(scanForLeaks([{ where: 'log', text }], needles)).toEqual([]);
  });

  it('names the kind and the place of a finding, never the needle', () => {
    const found = scanForLeaks(
      [{ where: `the answer to GET /verifications/${tokens[0].token}`, text: `x\n${secrets.webhookSecret}` }],
      needles,
    );
    const message = describeFindings(found, needles);
    expect(message).toBe(
      '- webhook secret (as is) in the answer to GET /verifications/<Berbix access token>, line 2',
    );
    expect(message).not.toContain(secrets.webhookSecret);
  });

  it('refuses needles too short or not ASCII to be told apart from other text', () => {
    expect(() => scanForLeaks([], [{ kind: 'personal field', value: 'Ada' }])).toThrow(RangeError);
    expect(() => scanForLeaks([], [{ kind: 'personal field', value: 'Zoë Ågren' }])).toThrow(RangeError);
    expect(personalFieldNeedles([{ given_name: 'Ada', id_number: 'X9' }])).toEqual([]);
  });

  it('leaves out exactly the result given to the backend: a 2xx body of GET /verifications/{id}/result', () => {
    expect(isBackendResult('GET', '/verifications/vrf_a/result', 200)).toBe(true);
    expect(isBackendResult('GET', '/verifications/vrf_a/result', 409)).toBe(false);
    expect(isBackendResult('GET', '/verifications/vrf_a/result', 403)).toBe(false);
    expect(isBackendResult('GET', '/verifications/vrf_a', 200)).toBe(false);
    expect(isBackendResult('GET', '/verifications/vrf_a/result/x', 200)).toBe(false);
    expect(isBackendResult('GET', '/verifications/vrf_a/result.json', 200)).toBe(false);
    expect(isBackendResult('POST', '/verifications/vrf_a/result', 200)).toBe(false);
    expect(isBackendResult('GET', '/verifications/result', 200)).toBe(false);
  });

  it('takes distinctive slices only: none of bytes too short or all one value', () => {
    expect(distinctiveSlices(new Uint8Array(31))).toEqual([]);
    expect(distinctiveSlices(new Uint8Array(100_000))).toEqual([]);
    expect(distinctiveSlices(front.bytes).length).toBeGreaterThanOrEqual(2);
  });
});
