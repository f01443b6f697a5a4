// ali-oss, signing with V4 Authorization headers (authorizationV4: true), against the local server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import OSS from 'ali-oss';
import { BUCKET, KEY, REGION, STS_KEY, localhostLookup, startServer, testBytes } from '../harness.mjs';

let server;
// localhost and bucket.localhost go to 127.0.0.1 (where the server listens) whatever the system resolver says.
const agent = new http.Agent({ keepAlive: true, lookup: localhostLookup });
before(async () => { server = await startServer(); });
after(async () => {
  agent.destroy();
  await server?.stop();
});

/**
 * An ali-oss client on the local server. `sldEnable: true` is what makes ali-oss address path-style
 * (`http://localhost:PORT/bucket/key`); without it, it uses virtual-hosted `bucket.localhost:PORT`.
 * Every request it sends is recorded in `client.sent`; `tamper(url, params)` may change one after it was signed.
 */
function aliClient({ key = KEY, secret = key.secret, token = key.token, pathStyle = true, region = REGION, endpoint = server.localhost, tamper } = {}) {
  const client = new OSS({
    accessKeyId: key.id,
    accessKeySecret: secret,
    ...(token ? { stsToken: token, refreshSTSTokenInterval: 3_600_000 } : {}),
    region,
    bucket: BUCKET,
    endpoint,
    authorizationV4: true,
    sldEnable: pathStyle,
    timeout: 30_000,
    agent,
  });
  const real = client.urllib;
  client.sent = [];
  client.urllib = {
    request(url, params) {
      if (tamper) tamper(url, params);
      client.sent.push({ url, method: params.method, headers: { ...params.headers } });
      return real.request(url, params);
    },
  };
  return client;
}

async function rejects(promise, status, code) {
  await assert.rejects(promise, e => {
    assert.equal(e.status, status, `status of ${e.code}: ${e.message}`);
    if (code) assert.equal(e.code, code);
    return true;
  });
}

describe('ali-oss header-signed V4 requests', () => {
  test('put with metadata and Content-Type, get, head, delete: the bytes round-trip', async () => {
    const client = aliClient();
    const key = 'header mode/put+get 中文 (1).bin';
    const bytes = testBytes(300_000, 7);

    const put = await client.put(key, bytes, { mime: 'application/x-interop', meta: { author: 'alice', note: 'first' } });
    assert.equal(put.res.status, 200);
    const sent = client.sent.at(-1);
    assert.match(sent.url, new RegExp(`^${server.localhost}/${BUCKET}/header%20mode/put%2Bget%20`), 'path-style URL');
    assert.match(sent.headers.authorization, /^OSS4-HMAC-SHA256 Credential=interop-ak\/\d{8}\/cn-hangzhou\/oss\/aliyun_v4_request,Signature=[0-9a-f]{64}$/);
    assert.equal(sent.headers['Content-Type'], 'application/x-interop');
    assert.ok(sent.headers['Content-MD5'], 'ali-oss signs a Content-MD5 of the body');
    assert.equal(put.res.headers.etag, `"${createMd5Hex(bytes)}"`);

    const get = await client.get(key);
    assert.equal(get.res.status, 200);
    assert.ok(Buffer.compare(get.content, bytes) === 0, 'GET returns the bytes that were put');
    assert.equal(get.res.headers['content-type'], 'application/x-interop');
    assert.equal(get.res.headers['x-oss-meta-author'], 'alice');

    const head = await client.head(key);
    assert.equal(head.status, 200);
    assert.deepEqual(head.meta, { author: 'alice', note: 'first' });
    assert.equal(head.res.headers['content-length'], String(bytes.length));
    assert.equal(head.res.headers['content-type'], 'application/x-interop');

    // GetObjectMeta (HEAD ?objectMeta): size, ETag and Last-Modified only.
    const meta = await client.getObjectMeta(key);
    assert.equal(meta.status, 200);
    assert.equal(meta.res.headers.etag, `"${createMd5Hex(bytes)}"`);
    assert.equal(meta.res.headers['content-length'], String(bytes.length));
    assert.ok(meta.res.headers['last-modified']);
    assert.equal(meta.res.headers['x-oss-meta-author'], undefined);

    const del = await client.delete(key);
    assert.equal(del.res.status, 204);
    await rejects(client.head(key), 404);
    await rejects(client.getObjectMeta(key), 404);
    await rejects(client.get(key), 404, 'NoSuchKey');
  });

  test('put with additionalHeaders signs the extra header, and the server checks it', async () => {
    const client = aliClient();
    const put = await client.put('additional/one.txt', Buffer.from('signed extra header'), {
      headers: { 'x-interop-extra': 'v1', 'Cache-Control': 'no-cache' },
      additionalHeaders: ['x-interop-extra', 'cache-control'],
    });
    assert.equal(put.res.status, 200);
    assert.match(client.sent.at(-1).headers.authorization, /,AdditionalHeaders=cache-control;x-interop-extra,Signature=/);
    assert.equal((await client.get('additional/one.txt')).content.toString(), 'signed extra header');

    // The same request with the additional header's value changed after signing.
    const tampered = aliClient({ tamper: (_, params) => { params.headers['x-interop-extra'] = 'v2'; } });
    await rejects(tampered.put('additional/two.txt', Buffer.from('x'), {
      headers: { 'x-interop-extra': 'v1' }, additionalHeaders: ['x-interop-extra'],
    }), 403, 'SignatureDoesNotMatch');
    await rejects(client.head('additional/two.txt'), 404);
  });

  test('an STS key: requests carry x-oss-security-token and succeed; a wrong token is refused', async () => {
    const sts = aliClient({ key: STS_KEY });
    await sts.put('sts/header.txt', Buffer.from('via sts'), { mime: 'text/plain' });
    assert.equal(sts.sent.at(-1).headers['x-oss-security-token'], STS_KEY.token);
    assert.equal((await sts.get('sts/header.txt')).content.toString(), 'via sts');

    await rejects(aliClient({ key: STS_KEY, token: 'CAIS/not-the-token' }).get('sts/header.txt'), 403);
    await rejects(aliClient({ key: STS_KEY, token: null }).get('sts/header.txt'), 403);
  });

  test('the classic region form oss-cn-hangzhou works (ali-oss strips oss- before signing)', async () => {
    const client = aliClient({ region: `oss-${REGION}` });
    await client.put('classic-region.txt', Buffer.from('r'));
    assert.match(client.sent.at(-1).headers.authorization, /\/cn-hangzhou\/oss\/aliyun_v4_request,/);
  });

  test('virtual-hosted (no sldEnable): bucket.localhost:PORT', async () => {
    const client = aliClient({ pathStyle: false });
    await client.put('virtual/hosted.txt', Buffer.from('vh'), { mime: 'text/plain' });
    assert.match(client.sent.at(-1).url, new RegExp(`^http://${BUCKET}\\.localhost:${server.port}/virtual/hosted\\.txt`));
    assert.equal((await client.get('virtual/hosted.txt')).content.toString(), 'vh');
  });

  test('an IP endpoint (http://127.0.0.1:PORT): ali-oss overrides Host with bucket.<region>.aliyuncs.com; the path still addresses the bucket', async () => {
    const client = aliClient({ endpoint: server.endpoint });
    await client.put('ip/endpoint.txt', Buffer.from('ip'));
    const sent = client.sent.at(-1);
    assert.match(sent.url, new RegExp(`^${server.endpoint}/${BUCKET}/ip/endpoint\\.txt`));
    assert.equal(sent.headers.host, `${BUCKET}.${REGION}.aliyuncs.com`);
    assert.equal((await client.get('ip/endpoint.txt')).content.toString(), 'ip');
  });

  test('a wrong secret is refused: 403 SignatureDoesNotMatch', async () => {
    const wrong = aliClient({ secret: `${KEY.secret}x` });
    await rejects(wrong.put('wrong/secret.txt', Buffer.from('no')), 403, 'SignatureDoesNotMatch');
    await rejects(wrong.get('wrong/secret.txt'), 403, 'SignatureDoesNotMatch');
    await rejects(aliClient().head('wrong/secret.txt'), 404);
  });

  test('metadata changed after signing is refused: 403 SignatureDoesNotMatch', async () => {
    const tampered = aliClient({ tamper: (_, params) => { params.headers['x-oss-meta-author'] = 'mallory'; } });
    await rejects(tampered.put('tampered/meta.txt', Buffer.from('no'), { meta: { author: 'alice' } }), 403, 'SignatureDoesNotMatch');
  });

  test('an unknown access key id is refused: 403 InvalidAccessKeyId', async () => {
    await rejects(aliClient({ key: { id: 'nobody', secret: 'x' } }).get('any.txt'), 403, 'InvalidAccessKeyId');
  });
});

function createMd5Hex(bytes) {
  return createHash('md5').update(bytes).digest('hex').toUpperCase();
}
