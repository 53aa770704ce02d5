/** Fields for {@link makeAamvaBarcode}; dates are `YYYY-MM-DD`, `address_country` is `US` or `CA`. */
export interface AamvaFields {
  given_name?: string;
  middle_name?: string;
  family_name?: string;
  date_of_birth?: string;
  id_expiry_date?: string;
  id_issue_date?: string;
  sex?: 'M' | 'F';
  id_number?: string;
  address_street?: string;
  address_unit?: string;
  address_city?: string;
  address_subdivision?: string;
  address_postal_code?: string;
  address_country?: 'US' | 'CA';
}

export interface AamvaOptions {
  /** Issuer identification number of the jurisdiction. @default '636014' (California) */
  issuerIdentificationNumber?: string;
  /** AAMVA standard version. @default 10 */
  version?: number;
  /** @default 'DL' */
  subfileType?: 'DL' | 'ID';
  /** Cut the payload short, as a scanner that misread the barcode would. @default false */
  truncate?: boolean;
}

const LF = '\n';
const RS = '\x1e';
const CR = '\r';

/** AAMVA dates: MMDDCCYY in the US, CCYYMMDD in Canada. */
function aamvaDate(isoDate: string, country: 'US' | 'CA'): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!match) throw new RangeError(`expected a YYYY-MM-DD date, got ${JSON.stringify(isoDate)}`);
  const [, year, month, day] = match;
  return country === 'CA' ? `${year}${month}${day}` : `${month}${day}${year}`;
}

const two = (n: number) => String(n).padStart(2, '0');
const four = (n: number) => String(n).padStart(4, '0');

/**
 * The text a PDF417 scanner reads off the back of a North American driver's licence or ID card
 * (AAMVA DL/ID Card Design Standard: header, one subfile designator, one subfile).
 */
export function makeAamvaBarcode(fields: AamvaFields, options: AamvaOptions = {}): string {
  const country = fields.address_country ?? 'US';
  const type = options.subfileType ?? 'DL';
  const elements: Array<[string, string | undefined]> = [
    ['DCA', 'C'],
    ['DCB', 'NONE'],
    ['DCD', 'NONE'],
    ['DBA', fields.id_expiry_date && aamvaDate(fields.id_expiry_date, country)],
    ['DCS', fields.family_name?.toUpperCase()],
    ['DAC', fields.given_name?.toUpperCase()],
    ['DAD', fields.middle_name?.toUpperCase() ?? 'NONE'],
    ['DBD', fields.id_issue_date && aamvaDate(fields.id_issue_date, country)],
    ['DBB', fields.date_of_birth && aamvaDate(fields.date_of_birth, country)],
    ['DBC', fields.sex === 'F' ? '2' : fields.sex === 'M' ? '1' : '9'],
    ['DAY', 'BRO'],
    ['DAU', '068 in'],
    ['DAG', fields.address_street?.toUpperCase()],
    ['DAH', fields.address_unit?.toUpperCase()],
    ['DAI', fields.address_city?.toUpperCase()],
    ['DAJ', fields.address_subdivision?.toUpperCase()],
    ['DAK', fields.address_postal_code?.toUpperCase().padEnd(11, ' ')],
    ['DAQ', fields.id_number?.toUpperCase()],
    ['DCF', 'SANDBOX0000000001'],
    ['DCG', country === 'CA' ? 'CAN' : 'USA'],
    ['DDE', 'N'],
    ['DDF', 'N'],
    ['DDG', 'N'],
  ];
  const body = elements
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([id, value]) => id + value)
    .join(LF);
  const subfile = `${type}${body}${CR}`;
  const headerLength = 21 + 10; // fixed header + one subfile designator
  const header =
    `@${LF}${RS}${CR}ANSI ${options.issuerIdentificationNumber ?? '636014'}` +
    `${two(options.version ?? 10)}${two(0)}${two(1)}` +
    `${type}${four(headerLength)}${four(subfile.length)}`;
  const text = header + subfile;
  return options.truncate ? text.slice(0, headerLength + 12) : text;
}
