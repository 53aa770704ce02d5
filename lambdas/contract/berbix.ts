/** Berbix's production API, unless the stack is pointed elsewhere (the sandbox, a proxy). */
export const DEFAULT_BERBIX_API_URL = 'https://api.berbix.com';
