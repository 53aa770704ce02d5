/** How a template's API-only flow goes. */
export interface SandboxTemplate {
  /** `front_back`: front → back → done (id_type P skips the back); `front_only`: front → done. */
  documentSteps: 'front_back' | 'front_only';
  /** The Barcode Scan setting: `POST /v0/idscans/upload` is accepted while the front is awaited. */
  barcodeScan?: boolean;
  /** Attempts per step; the last allowed attempt moves on with `issues: []`. @default 3 */
  maxAttempts?: number;
}

export const DEFAULT_TEMPLATE_KEYS = {
  frontBack: 'tmpl_sandbox_front_back',
  barcode: 'tmpl_sandbox_barcode',
  frontOnly: 'tmpl_sandbox_front_only',
} as const;

export const DEFAULT_TEMPLATES: Record<string, SandboxTemplate> = {
  [DEFAULT_TEMPLATE_KEYS.frontBack]: { documentSteps: 'front_back', maxAttempts: 3 },
  [DEFAULT_TEMPLATE_KEYS.barcode]: { documentSteps: 'front_back', barcodeScan: true, maxAttempts: 3 },
  [DEFAULT_TEMPLATE_KEYS.frontOnly]: { documentSteps: 'front_only', maxAttempts: 3 },
};
