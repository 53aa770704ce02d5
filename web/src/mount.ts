/**
 * The reference web client: `mount(element, { apiUrl, getToken, onComplete })` runs one identity
 * verification inside `element`, following Berbix's `next_step` exactly.
 */
import { COUNTRY_CODES } from '../../lambdas/berbix/countries';
import {
  coachingFor,
  createVerificationClient,
  created,
  describeImageProblem,
  errorCode,
  isFinal,
  judged,
  NetworkError,
  sideName,
  uploadStepFor,
  type Answer,
  type IdType,
  type PresignedUpload,
  type UploadStep,
  type Verification,
  type VerificationClient,
} from '../../client';
import { captureFrame, openCamera, type Camera, type CameraProblem } from './camera';
import { documentName, DOCUMENT_TYPES } from './coaching';
import { h, uid } from './dom';
import { prepareImage, type PreparedImage } from './image';
import { postWithProgress, UploadNetworkError } from './upload';
import { waitForVerification } from './wait';

export interface MountOptions {
  /** The API's base URL (the stack's `ApiUrl` output). */
  apiUrl: string;
  /** The end user's JWT (client scope), asked for before every API call; kept in memory only. */
  getToken: () => string | Promise<string>;
  /** Called once the verification ends: `completed`, `failed` or `abandoned`. */
  onComplete?: (outcome: { id: string; status: 'completed' | 'failed' | 'abandoned' }) => void;
  /** Uploads Berbix judges per step before it moves on regardless (the template's setting). @default 3 */
  maxAttempts?: number;
}

export interface MountedClient {
  /** Stops the camera and any wait, and empties the element. */
  unmount(): void;
}

/** Why an operation stopped, with the way forward the screen offers. */
type FailureKind = 'network' | 'expired' | 'closed' | 'gone' | 'server' | 'storage' | 'out_of_order';

class Failure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly answer?: Answer<unknown>,
  ) {
    super(kind);
  }
}

const FAILURE_TEXT: Record<
  Exclude<FailureKind, 'out_of_order'>,
  { title: string; text: string; action: string }
> = {
  network: {
    title: "We can't reach the verification service",
    text: 'Check your internet connection, then try again. Nothing you have done so far is lost.',
    action: 'Try again',
  },
  expired: {
    title: 'Your session has expired',
    text: 'For your security, sessions end after a while. Try again to continue with a new session.',
    action: 'Try again',
  },
  closed: {
    title: 'This verification was closed',
    text: 'It was ended in the meantime, so no more photos can be sent to it. Start again to verify your identity.',
    action: 'Start again',
  },
  gone: {
    title: 'This verification cannot be found',
    text: 'It may have been deleted. Start again to verify your identity.',
    action: 'Start again',
  },
  server: {
    title: 'Something went wrong on our side',
    text: 'Please try again in a moment.',
    action: 'Try again',
  },
  storage: {
    title: 'Your photo could not be sent',
    text: 'The connection to the photo storage failed. Try again to send it once more.',
    action: 'Try again',
  },
};

/** Maps an API answer to its data, or to the failure the page shows for it. */
function expectOk<T>(answer: Answer<T>): T {
  if (answer.ok) return answer.data;
  const code = errorCode(answer.error);
  if (answer.status === 401) throw new Failure('expired', answer);
  if (answer.status === 404) throw new Failure('gone', answer);
  if (answer.status === 409 && code === 'verification_closed') throw new Failure('closed', answer);
  if (answer.status === 409) throw new Failure('out_of_order', answer);
  throw new Failure('server', answer);
}

/** A fetch that got no answer (also the token's, in `getToken`) is a network failure. */
const isNetworkError = (error: unknown): boolean =>
  error instanceof NetworkError || (error instanceof TypeError && /fetch|network/i.test(error.message));

function asFailure(error: unknown): Failure {
  if (error instanceof Failure) return error;
  if (isNetworkError(error)) return new Failure('network');
  if (error instanceof UploadNetworkError) return new Failure('storage');
  return new Failure('server');
}

const stepOf = (v: Verification): UploadStep | undefined => uploadStepFor(v.next_step);

/** The attempt number the server put in the upload key: `.../<attempt>-<nonce>.<ext>`. */
const attemptOf = (upload: PresignedUpload): number =>
  Number(/\/(\d+)-[0-9a-f]+\.\w+$/.exec(upload.key)?.[1]);

function countryOptions(): HTMLOptionElement[] {
  let names: Intl.DisplayNames | undefined;
  try {
    names = new Intl.DisplayNames([navigator.language, 'en'], { type: 'region' });
  } catch {
    names = undefined;
  }
  return COUNTRY_CODES.map((code) => ({ code, name: names?.of(code) ?? code }))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ code, name }) => h('option', { value: code }, name));
}

export function mount(element: HTMLElement, options: MountOptions): MountedClient {
  const maxAttempts = options.maxAttempts ?? 3;
  const client: VerificationClient = createVerificationClient({
    apiUrl: options.apiUrl,
    getToken: () => options.getToken(),
  });
  const stage = h('div', { class: 'bsv-stage' });
  const live = h('p', {
    class: 'bsv-visually-hidden',
    role: 'status',
    'aria-live': 'polite',
    'aria-atomic': 'true',
  });
  const root = h('div', { class: 'bsv' }, stage, live);
  element.replaceChildren(root);

  let lifetime = new AbortController();
  let camera: Camera | undefined;
  let previewUrl: string | undefined;
  let announceTimer: ReturnType<typeof setTimeout> | undefined;
  // The verification in progress and what the person chose; never any token.
  let verification: Verification | undefined;
  let idType: IdType | undefined;
  const judgedUploads: Record<UploadStep, number> = { document_front: 0, document_back: 0 };
  const lastHadIssues: Record<UploadStep, boolean> = { document_front: false, document_back: false };

  const stopCamera = () => {
    camera?.stop();
    camera = undefined;
  };
  const releasePreview = () => {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = undefined;
  };

  function announce(text: string): void {
    // Emptied first and filled a moment later, so a repeated sentence is announced again.
    live.textContent = '';
    clearTimeout(announceTimer);
    announceTimer = setTimeout(() => (live.textContent = text), 50);
  }

  /** Shows a new screen and moves the focus to its heading. */
  function show(title: string, ...content: (Node | false | '' | undefined)[]): HTMLHeadingElement {
    stopCamera();
    releasePreview();
    const heading = h('h2', { class: 'bsv-title', tabindex: -1 }, title);
    stage.replaceChildren(heading, ...content.filter((c): c is Node => Boolean(c)));
    heading.focus();
    return heading;
  }

  const button = (label: string, onClick: () => void, kind: 'primary' | 'secondary' = 'primary') =>
    h('button', { type: 'button', class: `bsv-button bsv-button--${kind}`, onclick: () => onClick() }, label);

  const busy = (title: string, text: string) => {
    show(title, h('div', { class: 'bsv-spinner', 'aria-hidden': 'true' }), h('p', {}, text));
    stage.setAttribute('aria-busy', 'true');
    announce(`${title}. ${text}`);
  };

  /** Runs one step of the flow; a failure becomes a screen whose button runs it again (or starts over). */
  async function run(operation: () => Promise<void>): Promise<void> {
    const signal = lifetime.signal;
    try {
      await operation();
    } catch (error) {
      if (signal.aborted) return;
      const failure = asFailure(error);
      if (failure.kind === 'out_of_order' && verification) {
        // Berbix asks for something else now: read where it stands and carry on from there.
        const id = verification.id;
        announce('The next step changed. Continuing with what is needed now.');
        return run(async () => route(expectOk(await client.getVerification(id, { signal }))));
      }
      if (failure.kind === 'server' && !(error instanceof Failure)) console.error('[berbix-web]', error);
      const words = FAILURE_TEXT[failure.kind === 'out_of_order' ? 'server' : failure.kind];
      const startOver = words.action === 'Start again';
      show(
        words.title,
        h('p', {}, words.text),
        h(
          'div',
          { class: 'bsv-actions' },
          button(words.action, () => (startOver ? start() : void run(operation))),
        ),
      );
      stage.removeAttribute('aria-busy');
      announce(`${words.title}. ${words.text}`);
    }
  }

  // ── Screens ────────────────────────────────────────────────────────────────────────────────

  function start(): void {
    verification = undefined;
    judgedUploads.document_front = judgedUploads.document_back = 0;
    lastHadIssues.document_front = lastHadIssues.document_back = false;
    const countryId = uid('country');
    const typeId = uid('type');
    const country = h(
      'select',
      { id: countryId, name: 'country' },
      h('option', { value: '' }, "I don't know"),
    );
    country.append(...countryOptions());
    const type = h(
      'select',
      { id: typeId, name: 'id_type' },
      ...DOCUMENT_TYPES.map((t) => h('option', { value: t.value }, t.label)),
    );
    const form = h(
      'form',
      { class: 'bsv-form', novalidate: true },
      h('div', { class: 'bsv-field' }, h('label', { for: countryId }, 'Country'), country),
      h('div', { class: 'bsv-field' }, h('label', { for: typeId }, 'Document type'), type),
      h(
        'div',
        { class: 'bsv-actions' },
        h('button', { type: 'submit', class: 'bsv-button bsv-button--primary' }, 'Continue'),
      ),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      idType = (type.value || undefined) as IdType | undefined;
      const body = {
        ...(country.value ? { id_country: country.value } : {}),
        ...(idType ? { id_type: idType } : {}),
      };
      // One key per verification the person asked for: a retried create returns the same one.
      const idempotencyKey = crypto.randomUUID();
      void run(() => create(body, idempotencyKey));
    });
    show(
      'Verify your identity',
      h(
        'p',
        {},
        "Choose the country that issued your identity document and its type. If you're not sure, choose \u201cI don't know\u201d.",
      ),
      form,
    );
    stage.removeAttribute('aria-busy');
    announce('Verify your identity. Choose the country and the type of your document.');
  }

  async function create(body: Record<string, string>, idempotencyKey: string): Promise<void> {
    busy('Getting ready', 'Setting up your verification.');
    const signal = lifetime.signal;
    let v = expectOk(await client.createVerification(body, { idempotencyKey, signal }));
    verification = v;
    if (!created(v)) v = expectOk(await waitForVerification(client, v.id, created, { signal }));
    route(v);
  }

  /** Shows what Berbix asks for now. `judgedStep` is the step whose verdict `v` carries, if any. */
  function route(v: Verification, judgedStep?: UploadStep): void {
    verification = v;
    let notice: string | undefined;
    if (judgedStep) {
      const movedOn = stepOf(v) !== judgedStep;
      if (!v.issues.includes('bad_upload')) judgedUploads[judgedStep] += 1;
      if (movedOn && lastHadIssues[judgedStep] && judgedUploads[judgedStep] >= maxAttempts) {
        notice = `That was the last try for the ${sideName(judgedStep)} of ${documentName(idType)}, so we have moved on with the photo you sent.`;
      }
      lastHadIssues[judgedStep] = v.issues.length > 0;
    }
    if (v.status === 'completed') return done(v, notice);
    if (v.status === 'failed' || v.status === 'abandoned') return ended(v);
    if (v.status === 'deleted') throw new Failure('closed');
    const step = stepOf(v);
    if (v.status === 'awaiting_upload' && step)
      return capture(step, judgedStep === step ? v : undefined, notice);
    // Creating, processing, or `done` while the result is fetched: wait for what comes next.
    busy(v.next_step === 'done' ? 'Finishing' : 'Checking your photo', 'This usually takes a few seconds.');
    void run(async () => {
      const next = await waitForVerification(
        client,
        v.id,
        (x) => isFinal(x.status) || (x.status === 'awaiting_upload' && stepOf(x) !== undefined),
        { signal: lifetime.signal },
      );
      route(expectOk(next));
    });
  }

  /** The capture screen as last shown, so "Take another photo" brings its coaching back too. */
  let lastCapture: Parameters<typeof capture> | undefined;

  function capture(step: UploadStep, verdict: Verification | undefined, notice?: string): void {
    lastCapture = [step, verdict, notice];
    const side = sideName(step);
    const coaching = verdict ? verdict.issues.map((i) => coachingFor(i, verdict.issue_details)) : [];
    const fileId = uid('file');
    const errorId = uid('file-error');
    const fileError = h('p', { id: errorId, class: 'bsv-error', hidden: true });
    const input = h('input', {
      id: fileId,
      type: 'file',
      accept: 'image/jpeg,image/png',
      'aria-describedby': errorId,
    });
    const cameraArea = h(
      'div',
      { class: 'bsv-camera' },
      h('p', { class: 'bsv-muted' }, 'Starting the camera\u2026'),
    );
    const passportLike = step === 'document_back' && (idType === undefined || idType === 'P');
    const usesPassportGuide = idType === 'P';

    show(
      `Photograph the ${side} of ${documentName(idType)}`,
      coaching.length > 0 &&
        h(
          'div',
          { class: 'bsv-coaching' },
          h('p', { class: 'bsv-coaching__lead' }, `Please take the ${side} again.`),
          ...coaching.map((sentence) => h('p', {}, sentence)),
        ),
      notice && h('p', { class: 'bsv-notice' }, notice),
      cameraArea,
      h(
        'div',
        { class: 'bsv-field bsv-file' },
        h('label', { for: fileId }, `Choose a photo of the ${side}`),
        input,
        h('p', { class: 'bsv-muted' }, 'A JPEG or PNG photo of the whole document.'),
        fileError,
      ),
      passportLike &&
        h(
          'div',
          { class: 'bsv-passport' },
          h('p', {}, 'A passport has no back. If your document is a passport, send the same page again.'),
          button('Use the same passport page', () => void run(() => reuseFront()), 'secondary'),
        ),
    );
    stage.removeAttribute('aria-busy');
    const intro = [
      coaching.length
        ? `Please take the ${side} again. ${coaching.join(' ')}`
        : `Photograph the ${side} of ${documentName(idType)}.`,
      notice,
    ]
      .filter(Boolean)
      .join(' ');
    announce(intro);

    const pick = async (file: Blob) => {
      fileError.hidden = true;
      const prepared = await prepareImage(file);
      if (!prepared.ok) {
        fileError.textContent = describeImageProblem(prepared.reason);
        fileError.hidden = false;
        input.value = '';
        input.focus();
        announce(fileError.textContent);
        return;
      }
      review(step, prepared.image);
    };
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      if (file) void run(() => pick(file));
    });

    const screen = stage.firstChild;
    void openCamera().then((opened) => {
      if (stage.firstChild !== screen) {
        if (typeof opened !== 'string') opened.stop();
        return;
      }
      if (typeof opened === 'string') return cameraUnavailable(cameraArea, opened, intro);
      camera = opened;
      const video = h('video', { autoplay: true, muted: true, playsinline: true, 'aria-hidden': 'true' });
      video.muted = true;
      video.srcObject = opened.stream;
      const shoot = button('Take photo', () => {
        void captureFrame(video).then((blob) => blob && run(() => pick(blob)));
      });
      shoot.disabled = true;
      video.addEventListener('playing', () => (shoot.disabled = false), { once: true });
      cameraArea.replaceChildren(
        h(
          'div',
          { class: 'bsv-viewfinder' },
          video,
          h('div', {
            class: `bsv-guide${usesPassportGuide ? ' bsv-guide--passport' : ''}`,
            'aria-hidden': 'true',
          }),
        ),
        h(
          'p',
          { class: 'bsv-muted' },
          `Fit the ${side} of the document inside the frame, then take the photo.`,
        ),
        h('div', { class: 'bsv-actions' }, shoot),
      );
      void video.play().catch(() => undefined);
    });
  }

  function cameraUnavailable(area: HTMLElement, problem: CameraProblem, intro: string): void {
    const why =
      problem === 'denied'
        ? 'Camera access was not allowed.'
        : problem === 'missing'
          ? 'No camera was found.'
          : problem === 'unsupported'
            ? 'This browser cannot use the camera here.'
            : 'The camera could not be started.';
    area.replaceChildren(h('p', { class: 'bsv-notice' }, `${why} Choose a photo of the document instead.`));
    // Said after the step's own words (the coaching above all), not instead of them.
    announce(`${intro} ${why} Choose a photo of the document instead.`);
  }

  function review(step: UploadStep, image: PreparedImage): void {
    const side = sideName(step);
    const url = URL.createObjectURL(image.blob);
    const warnings = [
      image.quality.blurry && 'This photo looks blurry. Check that the text is sharp, or take another photo.',
      image.quality.glare &&
        'There seems to be glare on this photo. Tilt the document away from the light, or take another photo.',
    ].filter((w): w is string => Boolean(w));
    show(
      `Check your photo of the ${side}`,
      h('img', { class: 'bsv-preview', src: url, alt: `Your photo of the ${side}` }),
      image.downscaled &&
        h('p', { class: 'bsv-muted' }, 'Your photo was very large, so it was made smaller before sending.'),
      ...warnings.map((w) => h('p', { class: 'bsv-warning' }, w)),
      warnings.length === 0 &&
        h('p', {}, 'Make sure the whole document is in the photo and the text is readable.'),
      h(
        'div',
        { class: 'bsv-actions' },
        button('Use this photo', () => void run(() => send(step, image))),
        button('Take another photo', () => (lastCapture ? capture(...lastCapture) : undefined), 'secondary'),
      ),
    );
    previewUrl = url;
    announce([`Check your photo of the ${side}.`, ...warnings].join(' '));
  }

  async function send(step: UploadStep, image: PreparedImage): Promise<void> {
    const v = verification!;
    const signal = lifetime.signal;
    const side = sideName(step);
    const progressId = uid('progress');
    const bar = h('progress', { id: progressId, max: 100, value: 0 });
    const percent = h('span', { class: 'bsv-muted', 'aria-hidden': 'true' }, '0%');
    show(
      `Sending your photo of the ${side}`,
      h('div', { class: 'bsv-field' }, h('label', { for: progressId }, 'Upload progress'), bar, percent),
    );
    stage.setAttribute('aria-busy', 'true');
    announce(`Sending your photo of the ${side}.`);
    const form = expectOk(await client.createUpload(v.id, { step, content_type: image.format }, { signal }));
    const sent = await postWithProgress(
      form,
      image.blob,
      (fraction) => {
        const value = Math.round(fraction * 100);
        bar.value = value;
        percent.textContent = `${value}%`;
      },
      signal,
    );
    if (!sent.ok) throw new Failure('storage');
    await verdict(step, attemptOf(form));
  }

  async function reuseFront(): Promise<void> {
    const v = verification!;
    const signal = lifetime.signal;
    const answer = await client.reuseFront(v.id, { signal });
    if (!answer.ok && errorCode(answer.error) === 'front_not_available') {
      announce('The front photo is not available any more. Photograph the back of your document instead.');
      return;
    }
    expectOk(answer);
    await verdict('document_back', (v.attempts.document_back ?? 0) + 1);
  }

  async function verdict(step: UploadStep, attempt: number): Promise<void> {
    busy('Checking your photo', 'This usually takes a few seconds.');
    const v = verification!;
    const judgedView = expectOk(
      await waitForVerification(client, v.id, judged(step, attempt), { signal: lifetime.signal }),
    );
    route(judgedView, step);
  }

  function done(v: Verification, notice?: string): void {
    show(
      'Thank you, you are done',
      notice && h('p', { class: 'bsv-notice' }, notice),
      h('p', {}, 'Your document has been received and checked. You can close this page now.'),
    );
    stage.removeAttribute('aria-busy');
    announce(['Thank you, you are done.', notice].filter(Boolean).join(' '));
    options.onComplete?.({ id: v.id, status: 'completed' });
  }

  function ended(v: Verification): void {
    const abandoned = v.status === 'abandoned';
    const title = abandoned ? 'This verification timed out' : "We couldn't finish your verification";
    const text = abandoned
      ? 'It waited too long for a photo and was closed. Start again to verify your identity.'
      : 'Your document could not be verified this way. You can start again, or contact the service that sent you here.';
    show(
      title,
      h('p', {}, text),
      h(
        'div',
        { class: 'bsv-actions' },
        button('Start again', () => start()),
      ),
    );
    stage.removeAttribute('aria-busy');
    announce(`${title}. ${text}`);
    options.onComplete?.({ id: v.id, status: abandoned ? 'abandoned' : 'failed' });
  }

  start();
  return {
    unmount() {
      lifetime.abort();
      lifetime = new AbortController();
      clearTimeout(announceTimer);
      stopCamera();
      releasePreview();
      element.replaceChildren();
    },
  };
}
