import { catalog } from './catalog.js';

/** The admin desk (English and Simplified Chinese; the type checker requires both). */
export const adminMessages = catalog({} as const, {});
