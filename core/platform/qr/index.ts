/** QR codes as PNG: the folder's public face. */
export * from './png.js';
