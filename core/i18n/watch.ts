import { catalog } from './catalog.js';

/** Watch alerts (English and Simplified Chinese; the type checker requires both). */
export const watchMessages = catalog({} as const, {});
