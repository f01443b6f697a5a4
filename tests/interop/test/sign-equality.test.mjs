// Signature equality, Node side: for every case of sign-cases.mjs that the CLI can express, `oss-presign presign`
// (OssPresign's signer, on the real clock) and ali-oss's signatureUrlV4 (clock frozen at the x-oss-date of our URL)
// must produce the same signature, the same query parameters and the same object path. No server is involved.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cliDll, childEnv, run } from '../harness.mjs';
import { PRESIGN_CASES, TABLE_ENDPOINT, TABLE_REGION, aliOssPresign } from '../sign-cases.mjs';

/** The CLI arguments that express a case: typed options where the CLI has them, --header for the rest. */
function cliArgs(c) {
  const args = ['presign', '--json', '--endpoint', TABLE_ENDPOINT, '--path-style', '--region', TABLE_REGION, '--bucket', c.bucket,
    '--object', c.key, '--method', c.method.toLowerCase(), '--expires', duration(c.expires)];
  for (const [name, value] of Object.entries(c.headers)) {
    const lower = name.toLowerCase();
    if (c.method === 'PUT' && lower === 'content-type') args.push('--content-type', value);
    else if (c.method === 'PUT' && lower === 'content-md5') args.push('--content-md5', value);
    else if (c.method === 'PUT' && lower.startsWith('x-oss-meta-')) args.push('--meta', `${name.slice('x-oss-meta-'.length)}=${value}`);
    else args.push('--header', `${name}: ${value}`);
  }
  for (const name of c.additionalHeaders) args.push('--additional-header', name);
  return args;
}

/** Seconds as the CLI's duration syntax; it refuses amounts over 100000 of one unit (e.g. 604800s), so use 7d. */
function duration(seconds) {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]]) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

async function ourUrl(c) {
  const env = childEnv({ OSS_ACCESS_KEY_ID: c.ak, OSS_ACCESS_KEY_SECRET: c.sk, ...(c.token ? { OSS_SESSION_TOKEN: c.token } : {}) });
  const { stdout } = await run('dotnet', [cliDll, ...cliArgs(c)], { env });
  return JSON.parse(stdout).url;
}

/** Path and query of a URL, percent-decoded, query sorted: two URLs that address and sign the same thing compare equal. */
function decoded(url) {
  const u = new URL(url);
  const rawQuery = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const query = rawQuery.split('&').filter(Boolean).map(pair => {
    const eq = pair.indexOf('=');
    return eq < 0 ? [decodeURIComponent(pair), ''] : [decodeURIComponent(pair.slice(0, eq)), decodeURIComponent(pair.slice(eq + 1))];
  }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const rawPath = url.slice(url.indexOf('/', url.indexOf('://') + 3), url.includes('?') ? url.indexOf('?') : undefined);
  return { host: u.host, path: decodeURIComponent(rawPath), query };
}

function param(url, name) {
  return decoded(url).query.find(([n]) => n === name)?.[1];
}

describe('OssPresign (oss-presign presign) signs exactly as ali-oss signatureUrlV4', () => {
  for (const c of PRESIGN_CASES.filter(x => x.cli)) {
    test(`${c.id}: ${c.method} ${c.key}`, async () => {
      const ours = await ourUrl(c);
      const date = param(ours, 'x-oss-date');
      const time = Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15)) / 1000;
      const theirs = await aliOssPresign(c, { time, expires: Number(param(ours, 'x-oss-expires')) });

      assert.deepEqual(decoded(ours), decoded(theirs), `same object and query\nours:    ${ours}\nali-oss: ${theirs}`);
      assert.equal(param(ours, 'x-oss-signature'), param(theirs, 'x-oss-signature'));
    });
  }

  test('the comparison is sensitive: a different signed header value gives a different signature', async () => {
    const c = PRESIGN_CASES.find(x => x.id === 'put-space-content-type');
    const ours = await ourUrl(c);
    const date = param(ours, 'x-oss-date');
    const time = Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8), +date.slice(9, 11), +date.slice(11, 13), +date.slice(13, 15)) / 1000;
    const theirs = await aliOssPresign({ ...c, headers: { 'Content-Type': 'text/html' } }, { time, expires: Number(param(ours, 'x-oss-expires')) });
    assert.notEqual(param(ours, 'x-oss-signature'), param(theirs, 'x-oss-signature'));
  });
});
