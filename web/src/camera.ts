/** The live camera: the rear one when there is a choice, a still frame on demand. */
import { toJpeg } from './image';

export type CameraProblem = 'unsupported' | 'denied' | 'missing' | 'failed';

export interface Camera {
  stream: MediaStream;
  stop(): void;
}

export async function openCamera(): Promise<Camera | CameraProblem> {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) return 'unsupported';
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: 'environment' }, width: { ideal: 1920 }, height: { ideal: 1080 } },
    });
    return { stream, stop: () => stream.getTracks().forEach((t) => t.stop()) };
  } catch (error) {
    const name = (error as DOMException).name;
    if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
    if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'missing';
    return 'failed';
  }
}

/** The current frame of a playing video, as a JPEG at the camera's full resolution. */
export async function captureFrame(video: HTMLVideoElement): Promise<Blob | undefined> {
  if (!video.videoWidth || !video.videoHeight) return undefined;
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d')!.drawImage(video, 0, 0);
  return (await toJpeg(canvas, 0.92)) ?? undefined;
}
