/** The page's own words about documents; the coaching per issue comes from the typed client. */
import type { IdType } from '../../client';

export const DOCUMENT_TYPES: { value: IdType | ''; label: string }[] = [
  { value: '', label: "I don't know" },
  { value: 'DL', label: "Driver's licence" },
  { value: 'P', label: 'Passport' },
  { value: 'ID', label: 'ID card' },
  { value: 'PRC', label: 'Residence permit' },
  { value: 'PC', label: 'Passport card' },
];

/** "your driver's licence", or "your document" when the type is not known. */
export function documentName(idType: IdType | undefined): string {
  const label = idType && DOCUMENT_TYPES.find((t) => t.value === idType)?.label;
  return label ? `your ${label.charAt(0).toLowerCase()}${label.slice(1)}` : 'your document';
}
