export { makeAamvaBarcode, type AamvaFields, type AamvaOptions } from './aamva';
export { encodeJpeg } from './jpeg';
export { encodePng } from './png';
export {
  makeTestImage,
  presets,
  SAMPLE_AAMVA,
  SAMPLE_PERSON,
  type PresetName,
  type TestImage,
  type TestImageFormat,
} from './presets';
export { hostileImages, type HostileImage } from './hostile';
