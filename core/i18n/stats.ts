import { catalog } from './catalog.js';

/** The admin desk: /stats (English and Simplified Chinese; the type checker requires both). */
export const statsMessages = catalog({} as const, {});
