/**
 * Stands in for the `whatwg-url` package in every function bundle (`BUNDLE_ALIASES`,
 * stacks/manifest.ts). Its one user, node-fetch 2 (telegraf's HTTP client), takes `URL` from
 * Node's `url` module and falls back on this package only where Node has none (before Node 10),
 * yet bundling it costs every cold start its tr46 Unicode table (about 250 KB). Node's own `URL`
 * is what node-fetch uses anyway.
 */
export default { URL };
