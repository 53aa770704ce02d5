import { mkdtempSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readImageFile, readScanFile } from '../../../cli/files';
import { EXIT } from '../../../cli/errors';
import { presets, SAMPLE_AAMVA } from '../../../local/test-images';

const dir = mkdtempSync(path.join(os.tmpdir(), 'berbix-cli-files-'));
const file = (name: string, bytes: Uint8Array | string) => {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

/** The CliError a read throws: its exit code and one-line message. */
async function refusal(read: () => Promise<unknown>): Promise<{ exitCode: number; message: string }> {
  try {
    await read();
  } catch (error) {
    return { exitCode: (error as { exitCode: number }).exitCode, message: (error as Error).message };
  }
  throw new Error('the file was accepted');
}

describe("the CLI's checks of the files it would send", () => {
  it('reads a JPEG and a PNG by their bytes, whatever their names say', async () => {
    const front = await readImageFile(file('front.png', presets.driversLicenseFront().bytes));
    expect(front).toMatchObject({ name: 'front.png', format: 'image/jpeg', width: 320, height: 202 });
    expect((await readImageFile(file('passport.jpg', presets.passport().bytes))).format).toBe('image/png');
  });

  it('refuses, naming the file, what the API would refuse, with the usage exit code', async () => {
    const cases: [string, string][] = [
      [path.join(dir, 'missing.jpg'), 'no such file'],
      [(mkdirSync(path.join(dir, 'folder.jpg')), path.join(dir, 'folder.jpg')), 'is a folder'],
      [file('empty.jpg', ''), 'The file is empty.'],
      [file('notes.jpg', 'this is not a picture'), 'not a JPEG or PNG'],
      [file('cut.jpg', presets.driversLicenseFront().bytes.subarray(0, 2000)), 'incomplete'],
      [file('wide.png', presets.tooWide().bytes), '10,000 pixels'],
    ];
    for (const [p, why] of cases) {
      const { exitCode, message } = await refusal(() => readImageFile(p));
      expect(exitCode).toBe(EXIT.usage);
      expect(message).toContain(p);
      expect(message).toContain(why);
    }
  });

  it('refuses a file over 20 MiB by its size, without reading it', async () => {
    const big = file('big.jpg', '');
    truncateSync(big, 20 * 1024 * 1024 + 1);
    expect((await refusal(() => readImageFile(big))).message).toContain('over the limit of 20.0 MiB');
  });

  it('sends raw AAMVA barcode text as base64, and base64 as it is', () => {
    const base64 = Buffer.from(SAMPLE_AAMVA, 'latin1').toString('base64');
    expect(readScanFile(file('scan.txt', Buffer.from(SAMPLE_AAMVA, 'latin1'))).data).toBe(base64);
    expect(readScanFile(file('scan.b64', `${base64.slice(0, 40)}\n${base64.slice(40)}\n`)).data).toBe(base64);
  });

  it('refuses an empty or oversized scan', async () => {
    expect((await refusal(async () => readScanFile(file('none.txt', '')))).message).toContain('is empty');
    expect(
      (await refusal(async () => readScanFile(file('huge.txt', `@${'x'.repeat(13_000)}`)))).message,
    ).toContain("over the API's limit");
  });
});
