/**
 * Debian's Chromium driven by playwright-core against the browser project's local cloud. One
 * browser per test file, one fresh context (no storage, own permissions) per test; Chromium's fake
 * camera plays a y4m made from a test image.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decode } from 'jpeg-js';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { makeTestImage } from '../../../local/test-images';
import { integrationConfig } from '../../integration/support/config';
import { pipelineOriginKind, recordAnswer, recordSentBytes } from '../../integration/support/observations';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** The web client's URL on this project's local cloud. */
export const webClientUrl = (): string => `${integrationConfig().apiUrl}/_local/web/`;

/** A one-frame y4m video (I420) of an unlabelled licence front: the sandbox reads it as a good photo. */
export function writeFakeCameraVideo(file: string, width = 640, height = 400): void {
  const { data } = decode(makeTestImage({ width, height }), { useTArray: true });
  const y = Buffer.alloc(width * height);
  const u = Buffer.alloc((width / 2) * (height / 2));
  const v = Buffer.alloc(u.length);
  for (let row = 0; row < height; row += 1) {
    for (let col = 0; col < width; col += 1) {
      const i = (row * width + col) * 4;
      const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
      y[row * width + col] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      if (row % 2 === 0 && col % 2 === 0) {
        const c = (row / 2) * (width / 2) + col / 2;
        u[c] = Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b);
        v[c] = Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b);
      }
    }
  }
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\nFRAME\n`);
  writeFileSync(file, Buffer.concat([header, y, u, v]));
}

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berbix-web-browser-'));
  const video = path.join(dir, 'camera.y4m');
  writeFakeCameraVideo(video);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far (a CSP violation shows here). */
  problems: string[];
}

/** A fresh context: camera allowed or not (an unanswered prompt is a denial in headless Chromium). */
export async function openWebClient(
  { browser }: TestBrowser,
  {
    camera = false,
    viewport = DESKTOP,
  }: { camera?: boolean; viewport?: { width: number; height: number } } = {},
): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport, permissions: camera ? ['camera'] : [] });
  recordTraffic(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(webClientUrl());
  return { context, page, problems };
}

/** The files of a multipart body (the S3 form posts), as bytes. */
function multipartFiles(body: Buffer, contentType: string): Buffer[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) return [];
  const delimiter = Buffer.from(`\r\n--${boundary[1] ?? boundary[2]}`);
  const files: Buffer[] = [];
  let at = body.indexOf(delimiter.subarray(2));
  while (at >= 0) {
    const next = body.indexOf(delimiter, at + 1);
    if (next < 0) break;
    const part = body.subarray(at, next);
    const split = part.indexOf('\r\n\r\n');
    if (split >= 0 && /filename=/i.test(part.subarray(0, split).toString('latin1'))) {
      files.push(part.subarray(split + 4));
    }
    at = next + 2;
  }
  return files;
}

/**
 * For the leak scan (observations.ts): the pipeline's answers to the browser, and the images it
 * sends (camera photos included): those of the S3 posts Chromium shows the body of, and every photo
 * the page shows from a blob (the review of the photo it posts). The context waits (at most 5 s)
 * for what is still being recorded before it closes.
 */
function recordTraffic(context: BrowserContext): void {
  const pending: Promise<unknown>[] = [];
  context.on('request', (request) => {
    const by = pipelineOriginKind(new URL(request.url()).origin);
    const body = request.postDataBuffer();
    if (by !== 'S3' || request.method() !== 'POST' || !body) return;
    const files = multipartFiles(body, request.headers()['content-type'] ?? '');
    for (const file of files) recordSentBytes('image bytes', file);
  });
  context.on('response', (response) => {
    const url = new URL(response.url());
    if (url.protocol === 'blob:') {
      // The photo the web client shows for review, which is the blob it posts.
      pending.push(
        response
          .body()
          .then((bytes) => recordSentBytes('image bytes', bytes))
          .catch(() => undefined),
      );
      return;
    }
    const by = url.protocol === 'http:' ? pipelineOriginKind(url.origin) : undefined;
    if (!by) return;
    const answer = {
      by,
      method: response.request().method(),
      pathname: url.pathname,
      status: response.status(),
      headers: Object.entries(response.headers()),
      body: () => response.text(),
    };
    pending.push(recordAnswer(answer).catch(() => undefined));
  });
  const close = context.close.bind(context);
  context.close = async (options) => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(pending), new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    return close(options);
  };
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's WCAG 2.x A/AA rules on the page as it is; only serious and critical findings. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<unknown> } })
      .axe;
    const result = (await axe.run(document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'],
      },
    })) as {
      violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
    };
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Where screenshots go: docs/web-client/ with UPDATE_SCREENSHOTS=1, else a temporary folder. */
export const SCREENSHOT_DIR =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? path.resolve(__dirname, '../../../docs/web-client')
    : path.join(os.tmpdir(), 'berbix-web-screenshots');
