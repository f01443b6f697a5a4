// The signature-equality table: inputs for which OssPresign must compute exactly ali-oss's V4 signature, and the
// ali-oss side of the comparison (its signatureUrlV4 and its header-mode request, on a frozen clock).
// Used by sign-table.mjs (read by the xUnit test AliOssSignatureEqualityTests) and by test/sign-equality.test.mjs.
import OSS from 'ali-oss';
import { freezeDate } from './harness.mjs';

export const TABLE_ENDPOINT = 'http://localhost:9000';
export const TABLE_REGION = 'cn-hangzhou';

const sts = 'CAIS/interop+sts=token';

/**
 * Presign cases. `cli: false` marks inputs the CLI has no option for (query parameters). `time` is the signing time
 * in Unix seconds; `expires` is x-oss-expires.
 */
export const PRESIGN_CASES = [
  // OSS-V4.md §6.3 example A: ali-oss must reproduce the documented signature, which proves the frozen clock works.
  { id: 'doc-vector-A', method: 'GET', bucket: 'examplebucket', key: 'exampleobject.txt', time: 1702781677, expires: 900,
    ak: 'ak', sk: 'sk', expectedSignature: '12f6c5a05ce94f4b3266a115aa6058ed87c45c5a2332d2210338d30d55b17bab' },
  { id: 'get-plain', method: 'GET', key: 'exampleobject.txt', time: 1764300000, expires: 600 },
  { id: 'put-space-content-type', method: 'PUT', key: 'folder/my file.txt', time: 1764310001, expires: 3600,
    headers: { 'Content-Type': 'text/plain' } },
  { id: 'put-plus-meta', method: 'PUT', key: '1234+-/123/1.txt', time: 1764320002, expires: 60,
    headers: { 'x-oss-meta-author': 'alice' } },
  { id: 'put-unicode', method: 'PUT', key: '文件/中文 file+~*.txt', time: 1764330003, expires: 900,
    headers: { 'Content-Type': 'application/pdf', 'x-oss-meta-title': 'report' } },
  { id: 'put-emoji-nested', method: 'PUT', key: 'a/b/c/d/e/ünïcödé 😀/f.bin', time: 1764340004, expires: 604800 },
  { id: 'get-nested', method: 'GET', key: 'deep/er/and/deeper/still.json', time: 1764345599, expires: 1 },
  { id: 'put-reserved-chars', method: 'PUT', key: "special !'()*;:@,&=$ %25 ~chars.txt", time: 1764374399, expires: 900 },
  { id: 'put-content-md5', method: 'PUT', key: 'md5.bin', time: 1764374400, expires: 900,
    headers: { 'Content-MD5': '1B2M2Y8AsgTpgAmY7PhCfg==', 'Content-Type': 'application/octet-stream' } },
  { id: 'put-additional-headers', method: 'PUT', key: 'additional/x.txt', time: 1764380000, expires: 900,
    headers: { 'Content-Type': 'text/plain', 'x-interop-extra': 'v1', 'Cache-Control': 'no-cache' },
    additionalHeaders: ['x-interop-extra', 'Cache-Control'] },
  { id: 'put-additional-dropped', method: 'PUT', key: 'additional/y.txt', time: 1764380001, expires: 900,
    headers: { 'x-oss-meta-a': '1', abc: 'value', ZAbc: 'value' },
    additionalHeaders: ['x-oss-meta-a', 'ZAbc', 'abc', 'content-type'] },
  { id: 'get-sts', method: 'GET', key: 'sts/obj.txt', time: 1764390000, expires: 900, token: sts },
  { id: 'put-sts-everything', method: 'PUT', key: 'sts/全部 all+.txt', time: 1764390001, expires: 1800, token: sts,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'x-oss-meta-a': 'b c', 'x-interop-extra': 'e' },
    additionalHeaders: ['x-interop-extra'] },
  { id: 'head-oss-header', method: 'HEAD', key: 'head.txt', time: 1764390002, expires: 900,
    headers: { 'x-oss-request-payer': 'requester' } },
  { id: 'get-queries', method: 'GET', key: 'q.txt', time: 1764390003, expires: 900, cli: false,
    queries: { 'response-content-type': 'text/plain', 'response-content-disposition': 'attachment; filename="a b+c.txt"', versionId: 'CAEQ+/=' } },
].map(c => ({ bucket: 'interop-bucket', ak: 'LTAI-interop', sk: 'interop/secret+key', headers: {}, queries: {}, additionalHeaders: [], cli: true, ...c }));

/** Header-mode cases: ali-oss operations whose Authorization header OssSigningHandler must reproduce. */
export const HEADER_CASES = [
  { id: 'h-put-meta', op: 'put', key: 'dir/my file+1.txt', time: 1764300010, body: 'hello', options: { mime: 'text/plain', meta: { author: 'alice' } } },
  { id: 'h-put-unicode', op: 'put', key: '文件/中文 😀.bin', time: 1764345599, body: 'bytes', options: { mime: 'application/octet-stream' } },
  { id: 'h-put-additional', op: 'put', key: 'additional/h.txt', time: 1764374400, body: 'x',
    options: { headers: { 'x-interop-extra': 'v1', 'Cache-Control': 'no-cache' }, additionalHeaders: ['x-interop-extra', 'cache-control'] } },
  { id: 'h-get', op: 'get', key: 'a/b/c.json', time: 1764380000, options: {} },
  { id: 'h-get-version', op: 'get', key: 'v.txt', time: 1764380001, options: { versionId: 'CAEQ+/=' } },
  { id: 'h-head', op: 'head', key: "special !'()*.txt", time: 1764380002, options: {} },
  { id: 'h-delete', op: 'delete', key: 'to delete.txt', time: 1764380003, options: {} },
  { id: 'h-put-sts', op: 'put', key: 'sts/h.txt', time: 1764390000, token: sts, body: 'sts', options: { mime: 'text/plain' } },
].map(c => ({ bucket: 'interop-bucket', ak: 'LTAI-interop', sk: 'interop/secret+key', ...c }));

function client(c, endpoint) {
  return new OSS({
    accessKeyId: c.ak,
    accessKeySecret: c.sk,
    ...(c.token ? { stsToken: c.token, refreshSTSTokenInterval: 3_600_000 } : {}),
    region: TABLE_REGION,
    bucket: c.bucket,
    endpoint,
    authorizationV4: true,
    sldEnable: true,
  });
}

/** ali-oss's presigned URL for a case, signed at `time` (seconds). */
export async function aliOssPresign(c, { time = c.time, expires = c.expires, endpoint = TABLE_ENDPOINT } = {}) {
  const oss = client(c, endpoint);
  const restore = freezeDate(time);
  try {
    return await oss.signatureUrlV4(c.method, expires, { headers: c.headers, queries: c.queries }, c.key, c.additionalHeaders);
  } finally {
    restore();
  }
}

class Captured extends Error {}

/**
 * The request ali-oss would send for a header-mode case, signed at its time: `{method, url, headers}`. Captured at
 * ali-oss's HTTP layer (the request is not sent).
 */
export async function aliOssHeaderRequest(c, { endpoint = TABLE_ENDPOINT } = {}) {
  const oss = client(c, endpoint);
  let captured;
  oss.urllib = {
    request(url, params) {
      captured = { method: params.method, url, headers: { ...params.headers } };
      throw new Captured('captured');
    },
  };
  const restore = freezeDate(c.time);
  try {
    const body = c.body === undefined ? undefined : Buffer.from(c.body);
    const call = c.op === 'put' ? oss.put(c.key, body, c.options)
      : c.op === 'get' ? oss.get(c.key, c.options)
        : c.op === 'head' ? oss.head(c.key, c.options)
          : oss.delete(c.key, c.options);
    await call.catch(e => {
      if (!captured) throw e;
    });
  } finally {
    restore();
  }
  if (!captured) throw new Error(`ali-oss sent nothing for ${c.id}`);
  return captured;
}
