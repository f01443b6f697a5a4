// Presigned URLs made by OssPresign (`oss-presign presign --json`, the server's key in OSS_ACCESS_KEY_ID/SECRET),
// used by Node's plain http module against the local server; ali-oss reads back what they uploaded.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import OSS from 'ali-oss';
import { BUCKET, KEY, REGION, STS_KEY, errorCode, localhostLookup, presignWithCli, request, startServer, tamperSignature, testBytes } from '../harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const presign = (key, more = [], credentials = KEY) =>
  presignWithCli(['--endpoint', server.endpoint, '--object', key, '--expires', '10m', ...more], credentials);

describe('OssPresign URLs with plain node:http', () => {
  test('PUT with signed Content-Type and metadata, then GET and HEAD: bytes and metadata round-trip; ali-oss reads it too', async () => {
    const key = 'ours/report v1+final 中.bin';
    const bytes = testBytes(500_000, 11);
    const put = await presign(key, ['--content-type', 'application/x-interop', '--meta', 'author=alice', '--meta', 'stage=final']);
    assert.equal(put.method, 'PUT');
    assert.deepEqual(put.signedHeaders, { 'Content-Type': 'application/x-interop', 'x-oss-meta-author': 'alice', 'x-oss-meta-stage': 'final' });
    assert.match(put.url, new RegExp(`^${server.endpoint}/${BUCKET}/ours/report%20v1%2Bfinal%20%E4%B8%AD\\.bin\\?`));

    const uploaded = await request('PUT', put.url, { headers: put.signedHeaders, body: bytes });
    assert.equal(uploaded.status, 200, uploaded.body.toString());

    const get = await presign(key, ['--method', 'get']);
    const downloaded = await request('GET', get.url);
    assert.equal(downloaded.status, 200);
    assert.ok(Buffer.compare(downloaded.body, bytes) === 0, 'GET returns the bytes that were put');

    const head = await request('HEAD', (await presign(key, ['--method', 'head'])).url);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], 'application/x-interop');
    assert.equal(head.headers['x-oss-meta-author'], 'alice');
    assert.equal(head.headers['x-oss-meta-stage'], 'final');
    assert.equal(head.headers['content-length'], String(bytes.length));

    const ali = new OSS({ accessKeyId: KEY.id, accessKeySecret: KEY.secret, region: REGION, bucket: BUCKET,
      endpoint: server.localhost, authorizationV4: true, sldEnable: true, agent: new http.Agent({ lookup: localhostLookup }) });
    const read = await ali.get(key);
    assert.ok(Buffer.compare(read.content, bytes) === 0, 'ali-oss reads the bytes uploaded through our URL');
    assert.equal(read.res.headers['x-oss-meta-author'], 'alice');
  });

  test('an STS token from OSS_SESSION_TOKEN: the URL carries it; PUT and GET succeed; a changed token is refused', async () => {
    const put = await presign('ours/sts.txt', ['--content-type', 'text/plain'], STS_KEY);
    assert.match(put.url, /[?&]x-oss-security-token=CAIS%2Finterop%2Bsts%3Dtoken(&|$)/);
    assert.equal((await request('PUT', put.url, { headers: put.signedHeaders, body: 'sts' })).status, 200);

    const get = await presign('ours/sts.txt', ['--method', 'get'], STS_KEY);
    const got = await request('GET', get.url);
    assert.equal(got.status, 200);
    assert.equal(got.body.toString(), 'sts');
    assert.equal((await request('GET', get.url.replace('x-oss-security-token=CAIS', 'x-oss-security-token=CAIX'))).status, 403);
    assert.equal((await request('GET', (await presign('ours/sts.txt', ['--method', 'get'], { ...STS_KEY, token: 'CAIS/other' })).url)).status, 403);
  });

  test('additional headers (a custom header and host): succeed as signed, refused when the header differs', async () => {
    const put = await presign('ours/additional.txt', ['--header', 'x-interop-extra: v1', '--additional-header', 'x-interop-extra',
      '--additional-header', 'host']);
    assert.match(put.url, /[?&]x-oss-additional-headers=host%3Bx-interop-extra(&|$)/);
    const headers = { 'x-interop-extra': 'v1' };
    assert.equal((await request('PUT', put.url, { headers, body: 'extra' })).status, 200);

    const changed = await request('PUT', put.url, { headers: { 'x-interop-extra': 'v2' }, body: 'extra' });
    assert.equal(changed.status, 403);
    assert.equal(errorCode(changed), 'SignatureDoesNotMatch');

    const viaLocalhost = await request('PUT', put.url.replace('127.0.0.1', 'localhost'), { headers, body: 'extra' });
    assert.equal(viaLocalhost.status, 403, 'host is signed: the same URL on another host name is refused');
  });

  test('virtual-hosted URLs (--endpoint http://localhost:PORT): bucket.localhost', async () => {
    const put = await presignWithCli(['--endpoint', server.localhost, '--object', 'ours/virtual.txt', '--content-type', 'text/plain']);
    assert.match(put.url, new RegExp(`^http://${BUCKET}\\.localhost:${server.port}/ours/virtual\\.txt\\?`));
    assert.equal((await request('PUT', put.url, { headers: put.signedHeaders, body: 'virtual' })).status, 200);
    const get = await presignWithCli(['--endpoint', server.localhost, '--object', 'ours/virtual.txt', '--method', 'get']);
    assert.equal((await request('GET', get.url)).body.toString(), 'virtual');
  });

  test('a tampered URL or a wrong request is refused: 403', async () => {
    const put = await presign('ours/tampered.txt', ['--content-type', 'text/plain']);
    const ok = { headers: put.signedHeaders, body: 'x' };

    const badSignature = await request('PUT', tamperSignature(put.url), ok);
    assert.equal(badSignature.status, 403);
    assert.equal(errorCode(badSignature), 'SignatureDoesNotMatch');

    const otherKey = await request('PUT', put.url.replace('/tampered.txt?', '/tampered2.txt?'), ok);
    assert.equal(otherKey.status, 403);

    const otherContentType = await request('PUT', put.url, { headers: { 'Content-Type': 'text/html' }, body: 'x' });
    assert.equal(otherContentType.status, 403);
    assert.equal(errorCode(otherContentType), 'SignatureDoesNotMatch');

    const unsignedHeader = await request('PUT', put.url, { headers: { ...put.signedHeaders, 'x-oss-meta-extra': '1' }, body: 'x' });
    assert.equal(unsignedHeader.status, 403);

    const wrongSecret = await presign('ours/tampered.txt', ['--content-type', 'text/plain'], { id: KEY.id, secret: `${KEY.secret}x` });
    const refused = await request('PUT', wrongSecret.url, ok);
    assert.equal(refused.status, 403);
    assert.equal(errorCode(refused), 'SignatureDoesNotMatch');

    const get = await request('GET', (await presign('ours/tampered.txt', ['--method', 'get'])).url);
    assert.equal(get.status, 404, 'nothing was stored by the refused requests');
  });
});
