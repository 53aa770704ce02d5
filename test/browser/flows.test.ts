/** Whole verifications in a real Chromium, through the web client served by the local cloud. */
import { checkImage } from '../../lambdas/domain/image-check';
import { makeTestImage } from '../../local/test-images';
import { launchBrowser, openWebClient, type OpenedPage, type TestBrowser } from './support/browser';
import { storedObject } from './support/objects';
import {
  asFile,
  chooseDocument,
  expectDone,
  expectStep,
  image,
  onScreen,
  pickPhoto,
  sendPhoto,
  storedState,
  takePhoto,
  usePhoto,
  waitForAnnouncement,
} from './support/flow';

// A whole flow with cold functions on a busy 2-core machine can take most of a minute.
jest.setTimeout(120_000);

let browser: TestBrowser;
let opened: OpenedPage | undefined;

const open = async (options: { camera?: boolean } = {}) => {
  opened = await openWebClient(browser, options);
  return opened.page;
};

beforeAll(async () => {
  browser = await launchBrowser();
});
afterEach(async () => {
  // No console error, no CSP violation, no uncaught exception on any page.
  const problems = opened?.problems ?? [];
  await opened?.context.close();
  opened = undefined;
  expect(problems).toEqual([]);
});
afterAll(async () => {
  await browser?.close();
});

test("a driver's licence goes through the file picker to completion", async () => {
  const page = await open({ camera: true });
  await chooseDocument(page, { country: 'US', type: "Driver's licence" });
  await sendPhoto(page, 'front', image('driversLicenseFront'));
  await sendPhoto(page, 'back', image('driversLicenseBack'));
  await expectDone(page);
  // The token lived in memory only.
  expect(await storedState(page)).toEqual({
    localStorage: [],
    sessionStorage: [],
    cookie: '',
    indexedDB: [],
    caches: [],
    contextCookies: [],
  });
});

test("a driver's licence goes through the camera to completion", async () => {
  const page = await open({ camera: true });
  await chooseDocument(page, { country: 'US', type: "Driver's licence" });
  await takePhoto(page, 'front');
  await usePhoto(page, 'front');
  await takePhoto(page, 'back');
  await usePhoto(page, 'back');
  await expectDone(page);
});

test('a blurry front is coached, warned about, retaken and then accepted', async () => {
  const page = await open();
  await chooseDocument(page, { country: 'US', type: "Driver's licence" });
  await pickPhoto(page, 'front', image('blurryFront'));
  await expectStep(page, /check your photo of the front/i);
  // The pixels look soft: a warning, yet the photo can still be sent.
  await onScreen(page, 'This photo looks blurry').waitFor();
  await usePhoto(page, 'front');
  await expectStep(page, /photograph the front/i);
  await onScreen(page, 'The text could not be read').waitFor();
  // Told to a screen reader too, first issue first.
  await expect(waitForAnnouncement(page, /text could not be read/)).resolves.toMatch(
    /^Please take the front again\. The text could not be read/,
  );
  // Another blurry one is put back before sending: the retake screen keeps its coaching.
  await pickPhoto(page, 'front', image('blurryFront'));
  await expectStep(page, /check your photo of the front/i);
  await page.getByRole('button', { name: 'Take another photo' }).click();
  await expectStep(page, /photograph the front/i);
  await onScreen(page, 'The text could not be read').waitFor();
  await pickPhoto(page, 'front', image('driversLicenseFront'));
  await expectStep(page, /check your photo of the front/i);
  await expect(onScreen(page, 'This photo looks blurry').count()).resolves.toBe(0);
  await usePhoto(page, 'front');
  await sendPhoto(page, 'back', image('driversLicenseBack'));
  await expectDone(page);
});

test('a passport needs its photo page only', async () => {
  const page = await open();
  await chooseDocument(page, { country: 'GB', type: 'Passport' });
  await sendPhoto(page, 'front', image('passport'));
  await expectDone(page);
});

test('a passport of unknown type asked for a back finishes with the same passport page', async () => {
  const page = await open();
  await chooseDocument(page, {});
  await sendPhoto(page, 'front', image('passport'));
  await expectStep(page, /photograph the back of your document/i);
  await page.getByRole('button', { name: 'Use the same passport page' }).click();
  await expectDone(page);
});

test('with the camera denied, the file picker is offered by itself and completes', async () => {
  const page = await open({ camera: false });
  await chooseDocument(page, { country: 'US', type: "Driver's licence" });
  await expectStep(page, /photograph the front/i);
  await onScreen(page, 'Camera access was not allowed. Choose a photo of the document instead.').waitFor();
  await expect(page.getByRole('button', { name: 'Take photo' }).count()).resolves.toBe(0);
  await sendPhoto(page, 'front', image('driversLicenseFront'));
  await sendPhoto(page, 'back', image('driversLicenseBack'));
  await expectDone(page);
});

test('a 12,000 px wide photo is scaled down in the browser before upload and accepted', async () => {
  const page = await open();
  const huge = makeTestImage({ width: 12_000, height: 1_600, format: 'image/png' });
  expect(await checkImage(huge)).toEqual({ ok: false, reason: 'dimensions_too_large' });
  const keys: string[] = [];
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && r.url().endsWith('/uploads'))
      void r.json().then((form: { key: string }) => keys.push(form.key));
  });
  await chooseDocument(page, { country: 'US', type: "Driver's licence" });
  await pickPhoto(page, 'front', { fileName: 'huge.png', format: 'image/png', bytes: huge });
  await expectStep(page, /check your photo of the front/i);
  await onScreen(page, 'Your photo was very large, so it was made smaller before sending.').waitFor();
  // Every value the progress bar shows, as the upload's bytes go out.
  await page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { progressSeen: number[] }).progressSeen = seen;
    new MutationObserver((changes) => {
      for (const c of changes) if (c.target instanceof HTMLProgressElement) seen.push(c.target.value);
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['value'] });
  });
  // A slow uplink (DevTools network throttling), so the bytes go out over a few progress events.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 256 * 1024,
  });
  await usePhoto(page, 'front');
  // Accepted: the server's own check would have refused 12,000 px as bad_upload and asked again.
  await expectStep(page, /photograph the back/i);
  expect(await onScreen(page, 'too large').count()).toBe(0);
  const progress = await page.evaluate(() => (window as unknown as { progressSeen: number[] }).progressSeen);
  expect(progress.at(-1)).toBe(100);
  expect(progress.some((v) => v > 0 && v < 100)).toBe(true);
  expect(progress).toEqual([...progress].sort((a, b) => a - b));
  // What reached the bucket is the browser's JPEG, 4,000 px wide.
  const stored = await storedObject(keys.at(-1)!);
  expect(await checkImage(stored)).toMatchObject({
    ok: true,
    format: 'image/jpeg',
    width: 4000,
    height: 533,
  });
});

test('a damaged file is refused before upload; a visa page and two blurry fronts are coached; then the last try moves on', async () => {
  const page = await open();
  await chooseDocument(page, { country: 'US', type: "Driver's licence" });
  const front = image('driversLicenseFront');
  await pickPhoto(page, 'front', { ...front, bytes: front.bytes.subarray(0, front.bytes.length - 400) });
  await onScreen(page, 'The image is incomplete (cut off): send the whole file again.').waitFor();
  // Nothing was sent; the focus is back on the picker, to choose again.
  expect(
    await page.getByLabel('Choose a photo of the front').evaluate((el) => el === document.activeElement),
  ).toBe(true);
  await page.getByLabel('Choose a photo of the front').setInputFiles(asFile(image('visaPage')));
  await usePhoto(page, 'front');
  await onScreen(page, "This is a visa page: photograph the passport's photo page instead.").waitFor();
  await sendPhoto(page, 'front', image('blurryFront'));
  await onScreen(page, 'The text could not be read').waitFor();
  await sendPhoto(page, 'front', image('blurryFront'));
  // Berbix allows three tries and then moves on with the last photo: the page says so.
  await expectStep(page, /photograph the back/i);
  await onScreen(page, "That was the last try for the front of your driver's licence").waitFor();
  await expect(waitForAnnouncement(page, /last try/)).resolves.toContain('Photograph the back');
});
