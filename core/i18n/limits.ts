import { catalog } from './catalog.js';

/** Abuse control (English and Simplified Chinese; the type checker requires both). */
export const limitMessages = catalog({} as const, {});
