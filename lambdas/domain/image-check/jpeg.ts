import { checkSides, u16, type FormatCheck, type ImageRejection, type ResolvedImageLimits } from './rules';

const SOS = 0xda;
const EOI = 0xd9;
const DHT = 0xc4;
const DQT = 0xdb;
const DRI = 0xdd;
const COM = 0xfe;
const isRestart = (marker: number) => marker >= 0xd0 && marker <= 0xd7;
const isAppOrComment = (marker: number) => (marker >= 0xe0 && marker <= 0xef) || marker === COM;
/** Huffman-coded frames: baseline, extended sequential, progressive. */
const isSupportedFrame = (marker: number) => marker === 0xc0 || marker === 0xc1 || marker === 0xc2;
/**
 * Lossless, hierarchical and arithmetic-coded frames (SOF3, 5–7, 9–11, 13–15), arithmetic
 * conditioning (DAC), DNL / DHP / EXP and the JPG extensions (JPEG-LS…): no camera or browser
 * writes them and common decoders do not read them.
 */
const isUnsupportedCoding = (marker: number) =>
  (marker >= 0xc3 && marker <= 0xcf && marker !== DHT) ||
  (marker >= 0xdc && marker <= 0xdf && marker !== DRI) ||
  (marker >= 0xf0 && marker <= 0xfd);

/** Markers that may follow a scan's data: the end, the next scan and its tables, metadata. */
const isMarkerAfterScan = (marker: number) =>
  marker === EOI ||
  marker === SOS ||
  marker === DHT ||
  marker === DQT ||
  marker === DRI ||
  isAppOrComment(marker) ||
  isSupportedFrame(marker) ||
  isUnsupportedCoding(marker);

/**
 * Bytes after a scan's last block that no block used. libjpeg writes none, some encoders a whole
 * byte of padding (jpeg-js); a few are tolerated as decoders do, more mean the data does not fit
 * the frame.
 */
const MAX_UNUSED_SCAN_BYTES = 16;

interface Component {
  id: number;
  h: number;
  v: number;
  quantTable: number;
}

interface Frame {
  progressive: boolean;
  precision: number;
  width: number;
  height: number;
  components: Component[];
  hMax: number;
  vMax: number;
}

interface Tables {
  dc: (HuffmanTable | undefined)[];
  ac: (HuffmanTable | undefined)[];
  quant: boolean[];
  restartInterval: number;
}

interface ScanComponent {
  component: Component;
  dc: HuffmanTable | undefined;
  ac: HuffmanTable | undefined;
}

/**
 * JPEG: the segments are walked from SOI to EOI by their lengths, and each one's content is checked
 * (one supported frame with sane dimensions, well-formed tables, scans that name frame components
 * and defined tables). Every sequential scan's entropy-coded data is Huffman-decoded block by block
 * (no coefficient or pixel is kept) and must hold exactly the frame's blocks, with its restart
 * markers in sequence; a progressive scan is checked for byte stuffing and restart markers. Nothing
 * may follow EOI (a JPEG with a ZIP appended is two files, not an image).
 */
export function checkJpeg(bytes: Uint8Array, limits: ResolvedImageLimits): FormatCheck {
  let frame: Frame | undefined;
  let sides: FormatCheck = 'jpeg_missing_frame';
  const tables: Tables = { dc: [], ac: [], quant: [], restartInterval: 0 };
  const scanned = new Set<number>();
  let scans = 0;
  let metadata = 0;
  let at = 2;
  for (;;) {
    if (at >= bytes.length) return 'truncated';
    if (bytes[at] !== 0xff) return 'jpeg_invalid_marker';
    while (at < bytes.length && bytes[at] === 0xff) at++; // fill bytes
    if (at >= bytes.length) return 'truncated';
    const marker = bytes[at++]!;
    if (marker === EOI) {
      if (!frame) return 'jpeg_missing_frame';
      if (scans === 0 || (!frame.progressive && scanned.size < frame.components.length))
        return 'jpeg_missing_scan';
      return at === bytes.length ? sides : 'trailing_data';
    }
    if (isUnsupportedCoding(marker)) return 'jpeg_unsupported_coding';
    const known = isSupportedFrame(marker) || marker === DHT || marker === DQT || marker === DRI;
    if (!known && marker !== SOS && !isAppOrComment(marker)) return 'jpeg_invalid_marker';
    if (at + 2 > bytes.length) return 'truncated';
    const length = u16(bytes, at);
    if (length < 2) return 'jpeg_invalid_segment';
    if (at + length > bytes.length) return 'truncated';
    const segment = bytes.subarray(at + 2, at + length);
    at += length;

    if (isAppOrComment(marker)) {
      metadata += length;
      if (metadata > limits.maxMetadataBytes) return 'metadata_too_large';
    } else if (isSupportedFrame(marker)) {
      if (frame) return 'jpeg_invalid_segment'; // one frame per image
      const read = readFrame(segment, marker === 0xc2, marker === 0xc0);
      if (typeof read === 'string') return read;
      frame = read;
      sides = checkSides(frame.width, frame.height, limits.maxSide);
      if (typeof sides === 'string') return sides;
    } else if (marker === DHT) {
      if (!readHuffmanTables(segment, tables)) return 'jpeg_invalid_segment';
    } else if (marker === DQT) {
      if (!readQuantTables(segment, tables)) return 'jpeg_invalid_segment';
    } else if (marker === DRI) {
      if (segment.length !== 2) return 'jpeg_invalid_segment';
      tables.restartInterval = u16(segment, 0);
    } else {
      if (!frame) return 'jpeg_missing_frame';
      const scan = readScan(segment, frame, tables);
      if (typeof scan === 'string') return scan;
      if (at >= bytes.length) return 'truncated';
      if (bytes[at] === 0xff && bytes[at + 1] !== 0x00) return 'jpeg_empty_scan';
      const end = frame.progressive
        ? walkEntropyCodedData(bytes, at, tables.restartInterval)
        : decodeSequentialScan(bytes, at, frame, scan, tables.restartInterval);
      if (typeof end === 'string') return end;
      // The data ends at a marker: a 0xFF that is neither stuffed nor a real marker is corrupt data.
      if (!isMarkerAfterScan(bytes[codeOffset(bytes, end)]!)) return 'jpeg_bad_scan_data';
      at = end;
      scans++;
      for (const s of scan) scanned.add(s.component.id);
    }
  }
}

function readFrame(segment: Uint8Array, progressive: boolean, baseline: boolean): Frame | ImageRejection {
  if (segment.length < 6) return 'jpeg_invalid_segment';
  const precision = segment[0]!;
  const count = segment[5]!;
  if (precision !== 8 && (baseline || precision !== 12)) return 'jpeg_invalid_segment';
  if (count < 1 || count > 4 || segment.length !== 6 + 3 * count) return 'jpeg_invalid_segment';
  const components: Component[] = [];
  for (let i = 0; i < count; i++) {
    const at = 6 + 3 * i;
    const id = segment[at]!;
    const h = segment[at + 1]! >> 4;
    const v = segment[at + 1]! & 15;
    const quantTable = segment[at + 2]!;
    if (h < 1 || h > 4 || v < 1 || v > 4 || quantTable > 3 || components.some((c) => c.id === id))
      return 'jpeg_invalid_segment';
    components.push({ id, h, v, quantTable });
  }
  return {
    progressive,
    precision,
    height: u16(segment, 1),
    width: u16(segment, 3),
    components,
    hMax: Math.max(...components.map((c) => c.h)),
    vMax: Math.max(...components.map((c) => c.v)),
  };
}

function readHuffmanTables(segment: Uint8Array, tables: Tables): boolean {
  let at = 0;
  while (at < segment.length) {
    if (at + 17 > segment.length) return false;
    const tableClass = segment[at]! >> 4;
    const id = segment[at]! & 15;
    if (tableClass > 1 || id > 3) return false;
    const counts = segment.subarray(at + 1, at + 17);
    const total = counts.reduce((sum, n) => sum + n, 0);
    if (total > 256 || at + 17 + total > segment.length) return false;
    const table = HuffmanTable.build(counts, segment.subarray(at + 17, at + 17 + total));
    if (!table) return false;
    (tableClass === 0 ? tables.dc : tables.ac)[id] = table;
    at += 17 + total;
  }
  return true;
}

function readQuantTables(segment: Uint8Array, tables: Tables): boolean {
  let at = 0;
  while (at < segment.length) {
    const wide = segment[at]! >> 4;
    const id = segment[at]! & 15;
    if (wide > 1 || id > 3) return false;
    at += 1 + 64 * (wide + 1);
    if (at > segment.length) return false;
    tables.quant[id] = true;
  }
  return true;
}

function readScan(segment: Uint8Array, frame: Frame, tables: Tables): ScanComponent[] | ImageRejection {
  const count = segment[0] ?? 0;
  if (count < 1 || count > 4 || segment.length !== 4 + 2 * count) return 'jpeg_invalid_segment';
  const scan: ScanComponent[] = [];
  for (let i = 0; i < count; i++) {
    const component = frame.components.find((c) => c.id === segment[1 + 2 * i]);
    const selectors = segment[2 + 2 * i]!;
    if (!component || scan.some((s) => s.component === component) || !tables.quant[component.quantTable])
      return 'jpeg_invalid_segment';
    scan.push({ component, dc: tables.dc[selectors >> 4], ac: tables.ac[selectors & 15] });
  }
  const start = segment[1 + 2 * count]!;
  const end = segment[2 + 2 * count]!;
  const high = segment[3 + 2 * count]! >> 4;
  const low = segment[3 + 2 * count]! & 15;
  // An interleaved scan's MCU holds at most 10 blocks (ITU T.81 B.2.3).
  if (count > 1 && scan.reduce((sum, s) => sum + s.component.h * s.component.v, 0) > 10)
    return 'jpeg_invalid_segment';
  if (!frame.progressive) {
    if (start !== 0 || end !== 63 || high !== 0 || low !== 0) return 'jpeg_invalid_segment';
    if (scan.some((s) => !s.dc || !s.ac)) return 'jpeg_invalid_segment';
    return scan;
  }
  const dcScan = start === 0;
  if (end > 63 || start > end || (dcScan && end !== 0) || (!dcScan && count !== 1) || high > 13 || low > 13)
    return 'jpeg_invalid_segment';
  if (dcScan && high === 0 && scan.some((s) => !s.dc)) return 'jpeg_invalid_segment';
  if (!dcScan && scan.some((s) => !s.ac)) return 'jpeg_invalid_segment';
  return scan;
}

/**
 * The offset of the next marker in entropy-coded data (its last 0xFF when fill bytes precede it),
 * or -1 when the data runs to the end of the file. A 0xFF inside the data is always stuffed (0xFF00).
 */
function nextMarker(bytes: Uint8Array, from: number): number {
  let at = from;
  for (;;) {
    at = bytes.indexOf(0xff, at);
    if (at === -1 || at + 1 >= bytes.length) return -1;
    const next = bytes[at + 1]!;
    if (next === 0x00) at += 2;
    else if (next === 0xff) at += 1;
    else return at;
  }
}

/** The offset of a marker's code byte, past the 0xFF at `marker` and any fill bytes. */
function codeOffset(bytes: Uint8Array, marker: number): number {
  let at = marker;
  while (bytes[at] === 0xff) at++;
  return at;
}

/** Progressive scans: stuffing and restart markers only (their blocks are not decoded). */
function walkEntropyCodedData(
  bytes: Uint8Array,
  from: number,
  restartInterval: number,
): number | ImageRejection {
  let expected = 0;
  let at = from;
  for (;;) {
    const marker = nextMarker(bytes, at);
    if (marker === -1) return 'truncated';
    const code = codeOffset(bytes, marker);
    if (!isRestart(bytes[code]!)) return marker;
    if (restartInterval === 0 || bytes[code] !== 0xd0 + expected) return 'jpeg_bad_scan_data';
    expected = (expected + 1) & 7;
    at = code + 1;
  }
}

/**
 * Decodes a sequential scan's Huffman codes for every block the frame declares, restart interval
 * by interval, and returns the offset of the marker that ends it.
 */
function decodeSequentialScan(
  bytes: Uint8Array,
  from: number,
  frame: Frame,
  scan: readonly ScanComponent[],
  restartInterval: number,
): number | ImageRejection {
  // One block per MCU for a single component (its own block grid), H×V blocks per component otherwise.
  let mcus: number;
  const blocks: { dc: HuffmanTable; ac: HuffmanTable }[] = [];
  if (scan.length === 1) {
    const { component, dc, ac } = scan[0]!;
    const columns = Math.ceil(Math.ceil((frame.width * component.h) / frame.hMax) / 8);
    const rows = Math.ceil(Math.ceil((frame.height * component.v) / frame.vMax) / 8);
    mcus = columns * rows;
    blocks.push({ dc: dc!, ac: ac! });
  } else {
    mcus = Math.ceil(frame.width / (8 * frame.hMax)) * Math.ceil(frame.height / (8 * frame.vMax));
    for (const { component, dc, ac } of scan)
      for (let i = 0; i < component.h * component.v; i++) blocks.push({ dc: dc!, ac: ac! });
  }
  const maxDcBits = frame.precision === 8 ? 11 : 15;
  const maxAcBits = frame.precision === 8 ? 10 : 14;
  const reader = new BitReader(bytes, from);
  let expectedRestart = 0;
  for (let mcu = 0; mcu < mcus; mcu++) {
    if (restartInterval > 0 && mcu > 0 && mcu % restartInterval === 0) {
      const marker = reader.endOfData();
      if (typeof marker === 'string') return marker;
      const code = codeOffset(bytes, marker);
      if (bytes[code] !== 0xd0 + expectedRestart) return 'jpeg_bad_scan_data';
      expectedRestart = (expectedRestart + 1) & 7;
      reader.restartAt(code + 1);
    }
    for (const { dc, ac } of blocks) {
      if (!decodeBlock(reader, dc, ac, maxDcBits, maxAcBits)) return 'jpeg_bad_scan_data';
    }
    if (reader.overran()) return reader.reachedEnd() ? 'truncated' : 'jpeg_bad_scan_data';
  }
  const marker = reader.endOfData();
  if (typeof marker === 'string') return marker;
  return isRestart(bytes[codeOffset(bytes, marker)]!) ? 'jpeg_bad_scan_data' : marker;
}

/** One 8×8 block: a DC difference, then AC run/size codes up to EOB or the 63rd coefficient. */
function decodeBlock(
  reader: BitReader,
  dc: HuffmanTable,
  ac: HuffmanTable,
  maxDcBits: number,
  maxAcBits: number,
): boolean {
  const size = dc.decode(reader);
  if (size < 0 || size > maxDcBits) return false;
  reader.skip(size);
  for (let k = 1; k < 64;) {
    const symbol = ac.decode(reader);
    if (symbol < 0) return false;
    const run = symbol >> 4;
    const bits = symbol & 15;
    if (bits === 0) {
      if (run !== 15) return true; // EOB
      k += 16; // ZRL: sixteen zeros
      if (k > 64) return false;
      continue;
    }
    k += run;
    if (k > 63 || bits > maxAcBits) return false;
    reader.skip(bits);
    k++;
  }
  return true;
}

/** A canonical Huffman table (ITU T.81 annex C), with a 9-bit lookup for the short codes. */
class HuffmanTable {
  private constructor(
    private readonly fast: Uint16Array,
    private readonly maxCode: Int32Array,
    private readonly offset: Int32Array,
    private readonly values: Uint8Array,
  ) {}

  /** Undefined when the code lengths do not form a prefix code. */
  static build(counts: Uint8Array, values: Uint8Array): HuffmanTable | undefined {
    const fast = new Uint16Array(1 << 9);
    const maxCode = new Int32Array(18).fill(-1);
    const offset = new Int32Array(18);
    let code = 0;
    let k = 0;
    for (let length = 1; length <= 16; length++) {
      offset[length] = k - code;
      for (let i = 0; i < counts[length - 1]!; i++, k++, code++) {
        if (length <= 9) {
          const shift = 9 - length;
          for (let suffix = 0; suffix < 1 << shift; suffix++)
            fast[(code << shift) | suffix] = (length << 8) | values[k]!;
        }
      }
      if (counts[length - 1]! > 0) maxCode[length] = code - 1;
      if (code > 1 << length) return undefined;
      code <<= 1;
    }
    return new HuffmanTable(fast, maxCode, offset, values);
  }

  /** The next symbol, or -1 when the bits are no code of this table. */
  decode(reader: BitReader): number {
    reader.fill();
    const entry = this.fast[reader.peek(9)]!;
    if (entry !== 0) {
      reader.skip(entry >> 8);
      return entry & 0xff;
    }
    for (let length = 10; length <= 16; length++) {
      const code = reader.peek(length);
      if (code <= this.maxCode[length]!) {
        reader.skip(length);
        return this.values[code + this.offset[length]!]!;
      }
    }
    return -1;
  }
}

/**
 * Reads entropy-coded bits, unstuffing 0xFF00. At a marker (or the end of the file) it supplies
 * zero bits and counts them, so a decoder that needed them has overrun the data.
 */
class BitReader {
  private acc = 0;
  private bits = 0;
  private padding = 0;
  private stop: 'none' | 'marker' | 'end' = 'none';

  constructor(
    private readonly bytes: Uint8Array,
    private at: number,
  ) {}

  /** Makes at least 25 bits available. */
  fill(): void {
    const bytes = this.bytes;
    while (this.bits <= 24) {
      let byte = 0;
      if (this.stop !== 'none') this.padding += 8;
      else if (this.at >= bytes.length) {
        this.stop = 'end';
        this.padding += 8;
      } else if (bytes[this.at] !== 0xff) byte = bytes[this.at++]!;
      else if (bytes[this.at + 1] === 0x00) {
        byte = 0xff;
        this.at += 2;
      } else {
        this.stop = this.at + 1 >= bytes.length ? 'end' : 'marker';
        this.padding += 8;
      }
      this.acc = ((this.acc << 8) | byte) >>> 0;
      this.bits += 8;
    }
  }

  peek(count: number): number {
    return (this.acc >>> (this.bits - count)) & ((1 << count) - 1);
  }

  skip(count: number): void {
    if (count > this.bits) this.fill();
    this.bits -= count;
  }

  /** Some of the zero bits supplied past the data were used. */
  overran(): boolean {
    return this.padding > this.bits;
  }

  reachedEnd(): boolean {
    return this.stop === 'end';
  }

  /**
   * Where the marker after the data just decoded starts, once the unused bits and bytes before it
   * are within the tolerance.
   */
  endOfData(): number | ImageRejection {
    if (this.overran()) return this.stop === 'end' ? 'truncated' : 'jpeg_bad_scan_data';
    let unused = (this.bits - Math.min(this.bits, this.padding)) >> 3;
    let marker = this.at;
    if (this.stop === 'end') return 'truncated';
    if (this.stop === 'none') {
      marker = nextMarker(this.bytes, this.at);
      if (marker === -1) return 'truncated';
      unused += marker - this.at;
    }
    return unused > MAX_UNUSED_SCAN_BYTES ? 'jpeg_bad_scan_data' : marker;
  }

  /** Starts over after a restart marker. */
  restartAt(at: number): void {
    this.at = at;
    this.acc = 0;
    this.bits = 0;
    this.padding = 0;
    this.stop = 'none';
  }
}
