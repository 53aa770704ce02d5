/** What a person does on the web client, step by step, through accessible names only. */
import type { Page } from 'playwright-core';
import { presets, type TestImage } from '../../../local/test-images';

export type Side = 'front' | 'back';

export const image = (name: keyof typeof presets): TestImage => presets[name]();

export const asFile = (img: { fileName: string; format: string; bytes: Buffer }) => ({
  name: img.fileName,
  mimeType: img.format,
  buffer: img.bytes,
});

/** The current step's heading text, once the focus has moved to it. */
export async function focusedHeading(page: Page): Promise<string> {
  await page.waitForFunction(() => document.activeElement?.tagName === 'H2');
  return page.evaluate(() => document.activeElement!.textContent ?? '');
}

/** Waits for the step whose heading matches, and checks the focus moved to that heading. */
export async function expectStep(page: Page, heading: RegExp, timeout = 30_000): Promise<void> {
  await page.getByRole('heading', { level: 2, name: heading }).waitFor({ timeout });
  expect(await focusedHeading(page)).toMatch(heading);
}

export async function chooseDocument(page: Page, choice: { country?: string; type?: string }): Promise<void> {
  await expectStep(page, /verify your identity/i);
  if (choice.country) await page.getByLabel('Country').selectOption(choice.country);
  if (choice.type) await page.getByLabel('Document type').selectOption({ label: choice.type });
  await page.getByRole('button', { name: 'Continue' }).click();
}

export async function pickPhoto(page: Page, side: Side, img: TestImage): Promise<void> {
  await expectStep(page, new RegExp(`photograph the ${side}`, 'i'));
  await page.getByLabel(`Choose a photo of the ${side}`).setInputFiles(asFile(img));
}

export async function usePhoto(page: Page, side: Side): Promise<void> {
  await expectStep(page, new RegExp(`check your photo of the ${side}`, 'i'));
  await page.getByRole('button', { name: 'Use this photo' }).click();
}

export async function sendPhoto(page: Page, side: Side, img: TestImage): Promise<void> {
  await pickPhoto(page, side, img);
  await usePhoto(page, side);
}

export const expectDone = (page: Page) => expectStep(page, /you are done/i);

/** Text shown on the current screen (not the live region, which repeats it for screen readers). */
export const onScreen = (page: Page, text: string) => page.locator('.bsv-stage').getByText(text);

/** Waits until the live region (what a screen reader is told) matches, and answers its text. */
export async function waitForAnnouncement(page: Page, pattern: RegExp): Promise<string> {
  const live = page.locator('[role="status"]');
  await page.waitForFunction(
    ([source, flags]) =>
      new RegExp(source!, flags).test(document.querySelector('[role="status"]')?.textContent ?? ''),
    [pattern.source, pattern.flags],
  );
  return live.evaluate((el) => el.textContent ?? '');
}

/** Takes the photo with the (fake) camera once its preview plays. */
export async function takePhoto(page: Page, side: Side): Promise<void> {
  await expectStep(page, new RegExp(`photograph the ${side}`, 'i'));
  const shutter = page.getByRole('button', { name: 'Take photo' });
  await shutter.waitFor();
  await page.waitForFunction(() => {
    const b = [...document.querySelectorAll('button')].find((x) => x.textContent === 'Take photo');
    return b !== undefined && !b.disabled;
  });
  await shutter.click();
}

/** Everything the page could have kept: web storage, cookies, IndexedDB databases, Cache Storage. */
export async function storedState(page: Page) {
  const inPage = await page.evaluate(async () => ({
    localStorage: Object.keys(localStorage),
    sessionStorage: Object.keys(sessionStorage),
    cookie: document.cookie,
    indexedDB: (await indexedDB.databases()).map((d) => d.name),
    caches: await caches.keys(),
  }));
  return { ...inPage, contextCookies: (await page.context().cookies()).map((c) => c.name) };
}
