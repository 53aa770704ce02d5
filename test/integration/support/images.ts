/** Test images from the project's generator, in the shape the upload helper takes. */
import { presets, SAMPLE_AAMVA, type PresetName } from '../../../local/test-images';

export function image(name: PresetName): { bytes: Uint8Array; format: 'image/jpeg' | 'image/png' } {
  const built = presets[name]();
  return { bytes: built.bytes, format: built.format };
}

/** The sample licence barcode (AAMVA PDF417 text), base64 as a scanner app would send it. */
export const barcodeBase64 = () => Buffer.from(SAMPLE_AAMVA, 'latin1').toString('base64');
