// V4 presigned URLs made by ali-oss (signatureUrlV4), used with Node's plain http module against the local server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OSS from 'ali-oss';
import { BUCKET, KEY, REGION, STS_KEY, errorCode, freezeDate, request, startServer, tamperSignature, testBytes } from '../harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

function aliClient({ key = KEY, token = key.token } = {}) {
  return new OSS({
    accessKeyId: key.id,
    accessKeySecret: key.secret,
    ...(token ? { stsToken: token, refreshSTSTokenInterval: 3_600_000 } : {}),
    region: REGION,
    bucket: BUCKET,
    endpoint: server.localhost,
    authorizationV4: true,
    sldEnable: true,
  });
}

describe('ali-oss signatureUrlV4 URLs with plain node:http', () => {
  test('PUT and GET without signed headers: the bytes round-trip', async () => {
    const client = aliClient();
    const key = 'presigned/no headers/a+b 中.bin';
    const bytes = testBytes(200_000, 3);
    const putUrl = await client.signatureUrlV4('PUT', 600, {}, key);
    assert.match(putUrl, /[?&]x-oss-signature-version=OSS4-HMAC-SHA256(&|$)/);
    assert.doesNotMatch(putUrl, /x-oss-additional-headers/);

    const put = await request('PUT', putUrl, { body: bytes });
    assert.equal(put.status, 200, put.body.toString());

    const get = await request('GET', await client.signatureUrlV4('GET', 600, {}, key));
    assert.equal(get.status, 200, get.body.toString());
    assert.ok(Buffer.compare(get.body, bytes) === 0, 'GET returns the bytes that were put');
  });

  test('PUT with signed Content-Type and x-oss-meta-*: succeeds with exactly those headers, 403 without them', async () => {
    const client = aliClient();
    const headers = { 'Content-Type': 'text/csv', 'x-oss-meta-author': 'alice', 'x-oss-meta-project': 'interop' };
    const url = await client.signatureUrlV4('PUT', 600, { headers }, 'presigned/signed-headers.csv');

    const put = await request('PUT', url, { headers, body: 'a,b\n1,2\n' });
    assert.equal(put.status, 200, put.body.toString());

    const head = await request('HEAD', await client.signatureUrlV4('HEAD', 600, {}, 'presigned/signed-headers.csv'));
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], 'text/csv');
    assert.equal(head.headers['x-oss-meta-author'], 'alice');
    assert.equal(head.headers['x-oss-meta-project'], 'interop');

    const noContentType = await request('PUT', url, { headers: { 'x-oss-meta-author': 'alice', 'x-oss-meta-project': 'interop' }, body: 'x' });
    assert.equal(noContentType.status, 403);
    assert.equal(errorCode(noContentType), 'SignatureDoesNotMatch');

    const otherMeta = await request('PUT', url, { headers: { ...headers, 'x-oss-meta-author': 'mallory' }, body: 'x' });
    assert.equal(otherMeta.status, 403);
    assert.equal(errorCode(otherMeta), 'SignatureDoesNotMatch');
  });

  test('GET with a signed header and an additional header (x-oss-additional-headers)', async () => {
    const client = aliClient();
    const put = await request('PUT', await client.signatureUrlV4('PUT', 600, {}, 'presigned/additional.txt'), { body: 'additional' });
    assert.equal(put.status, 200);

    const headers = { 'x-oss-range-behavior': 'standard', 'x-interop-extra': 'v1' };
    const url = await client.signatureUrlV4('GET', 600, { headers }, 'presigned/additional.txt', ['x-interop-extra']);
    assert.match(url, /[?&]x-oss-additional-headers=x-interop-extra(&|$)/);

    const get = await request('GET', url, { headers });
    assert.equal(get.status, 200, get.body.toString());
    assert.equal(get.body.toString(), 'additional');

    const changed = await request('GET', url, { headers: { ...headers, 'x-interop-extra': 'v2' } });
    assert.equal(changed.status, 403);
    assert.equal(errorCode(changed), 'SignatureDoesNotMatch');
  });

  test('an STS token: x-oss-security-token in the URL; PUT and GET succeed; a changed token is refused', async () => {
    const client = aliClient({ key: STS_KEY });
    const url = await client.signatureUrlV4('PUT', 600, { headers: { 'Content-Type': 'text/plain' } }, 'presigned/sts.txt');
    assert.match(url, /[?&]x-oss-security-token=CAIS%2Finterop%2Bsts%3Dtoken(&|$)/);
    const put = await request('PUT', url, { headers: { 'Content-Type': 'text/plain' }, body: 'sts upload' });
    assert.equal(put.status, 200, put.body.toString());

    const getUrl = await client.signatureUrlV4('GET', 600, {}, 'presigned/sts.txt');
    const get = await request('GET', getUrl);
    assert.equal(get.status, 200);
    assert.equal(get.body.toString(), 'sts upload');

    const otherToken = await request('GET', getUrl.replace('x-oss-security-token=CAIS', 'x-oss-security-token=CAIX'));
    assert.equal(otherToken.status, 403);

    const wrongToken = await aliClient({ key: STS_KEY, token: 'CAIS/wrong' }).signatureUrlV4('GET', 600, {}, 'presigned/sts.txt');
    assert.equal((await request('GET', wrongToken)).status, 403);
  });

  test('a tampered URL is refused: 403', async () => {
    const client = aliClient();
    const url = await client.signatureUrlV4('PUT', 600, {}, 'presigned/tampered.txt');

    const badSignature = await request('PUT', tamperSignature(url), { body: 'x' });
    assert.equal(badSignature.status, 403);
    assert.equal(errorCode(badSignature), 'SignatureDoesNotMatch');

    const otherKey = await request('PUT', url.replace('/tampered.txt?', '/tampered2.txt?'), { body: 'x' });
    assert.equal(otherKey.status, 403);
    assert.equal(errorCode(otherKey), 'SignatureDoesNotMatch');

    const longer = await request('PUT', url.replace('x-oss-expires=600', 'x-oss-expires=6000'), { body: 'x' });
    assert.equal(longer.status, 403);
    assert.equal(errorCode(longer), 'SignatureDoesNotMatch');

    const otherMethod = await request('GET', url);
    assert.equal(otherMethod.status, 403);
    assert.equal(errorCode(otherMethod), 'SignatureDoesNotMatch');

    const wrongSecret = await new OSS({
      accessKeyId: KEY.id, accessKeySecret: `${KEY.secret}x`, region: REGION, bucket: BUCKET, endpoint: server.localhost, sldEnable: true,
    }).signatureUrlV4('PUT', 600, {}, 'presigned/tampered.txt');
    const refused = await request('PUT', wrongSecret, { body: 'x' });
    assert.equal(refused.status, 403);
    assert.equal(errorCode(refused), 'SignatureDoesNotMatch');

    const get = await request('GET', await client.signatureUrlV4('GET', 600, {}, 'presigned/tampered.txt'));
    assert.equal(get.status, 404, 'nothing was stored by the refused requests');
  });

  test('a key-only query parameter: null is signed as a bare name and accepted; an empty string signs "k=" and is refused', async () => {
    // ali-oss's README: pass key-only parameters as null. OSS (and the server) canonicalize "k" and "k=" to "k"
    // (OSS-V4.md §1.6 rule 3), so the "k=" that ali-oss signs for '' cannot match.
    const client = aliClient();
    assert.equal((await request('PUT', await client.signatureUrlV4('PUT', 600, {}, 'presigned/flag.txt'), { body: 'flag' })).status, 200);

    const asNull = await request('GET', await client.signatureUrlV4('GET', 600, { queries: { 'x-interop-flag': null } }, 'presigned/flag.txt'));
    assert.equal(asNull.status, 200, asNull.body.toString());
    assert.equal(asNull.body.toString(), 'flag');

    const asEmpty = await request('GET', await client.signatureUrlV4('GET', 600, { queries: { 'x-interop-flag': '' } }, 'presigned/flag.txt'));
    assert.equal(asEmpty.status, 403);
    assert.equal(errorCode(asEmpty), 'SignatureDoesNotMatch');
  });

  test('an expired URL is refused: 403 AccessDenied', async () => {
    const restore = freezeDate(Math.floor(Date.now() / 1000) - 3600);
    let url;
    try {
      url = await aliClient().signatureUrlV4('GET', 60, {}, 'presigned/expired.txt');
    } finally {
      restore();
    }
    const expired = await request('GET', url);
    assert.equal(expired.status, 403);
    assert.equal(errorCode(expired), 'AccessDenied');
    assert.match(expired.body.toString(), /Request has expired/);
  });
});
