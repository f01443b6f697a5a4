// Multipart uploads on the local server by clients nobody here wrote: ali-oss's own multipartUpload (V4 Authorization
// headers), and curl through URLs that ali-oss presigned (signatureUrlV4) for every step.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OSS from 'ali-oss';
import { BUCKET, KEY, REGION, localhostLookup, request, run, startServer, testBytes } from '../harness.mjs';

const PART_SIZE = 100 * 1024; // OSS's least size for every part but the last
let server;
let dir;
const agent = new http.Agent({ keepAlive: true, lookup: localhostLookup });
before(async () => {
  server = await startServer();
  dir = await mkdtemp(path.join(os.tmpdir(), 'oss-interop-multipart-'));
});
after(async () => {
  agent.destroy();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function aliClient() {
  return new OSS({
    accessKeyId: KEY.id,
    accessKeySecret: KEY.secret,
    region: REGION,
    bucket: BUCKET,
    endpoint: server.localhost,
    authorizationV4: true,
    sldEnable: true,
    timeout: 60_000,
    agent,
  });
}

/** The multipart ETag written out here, independently of the server: MD5 of the parts' MD5s, "-", the count. */
function multipartEtag(parts) {
  const md5s = Buffer.concat(parts.map(p => createHash('md5').update(p).digest()));
  return `"${createHash('md5').update(md5s).digest('hex').toUpperCase()}-${parts.length}"`;
}

function split(bytes, size) {
  const parts = [];
  for (let offset = 0; offset < bytes.length; offset += size) parts.push(bytes.subarray(offset, offset + size));
  return parts;
}

describe('ali-oss multipart uploads with V4 Authorization headers', () => {
  test('multipartUpload of a file in 4 parts, 2 at a time, with progress: the object is the file, its ETag MD5-of-MD5s-4', async () => {
    const client = aliClient();
    const key = 'multipart/ali-oss 中 (1).bin';
    const bytes = testBytes(3 * PART_SIZE + 12_345, 41);
    const local = path.join(dir, 'ali.bin');
    await writeFile(local, bytes);
    const progress = [];

    const result = await client.multipartUpload(key, local, {
      partSize: PART_SIZE,
      parallel: 2,
      mime: 'application/x-test',
      meta: { origin: 'interop' },
      progress: p => { progress.push(p); },
    });

    assert.equal(result.res.status, 200);
    assert.equal(result.etag, multipartEtag(split(bytes, PART_SIZE)));
    assert.equal(progress.at(-1), 1, 'progress reaches 1');
    const got = await client.get(key);
    assert.ok(Buffer.compare(got.content, bytes) === 0, 'GET returns the file');
    assert.equal(got.res.headers['content-type'], 'application/x-test');
    assert.equal(got.res.headers['x-oss-meta-origin'], 'interop');
    assert.equal(got.res.headers['x-oss-object-type'], 'Multipart');
    const uploads = await client.listUploads({ prefix: 'multipart/' });
    assert.deepEqual(uploads.uploads, [], 'no upload is left in progress');
  });

  test('initMultipartUpload, uploadPart, listParts, listUploads, abortMultipartUpload', async () => {
    const client = aliClient();
    const key = 'multipart/aborted.bin';
    const { uploadId } = await client.initMultipartUpload(key);
    assert.match(uploadId, /^[0-9A-F]{32}$/);
    const part = testBytes(PART_SIZE, 42);
    const file = path.join(dir, 'part.bin');
    await writeFile(file, part);
    const uploaded = await client.uploadPart(key, uploadId, 1, file, 0, part.length);
    assert.equal(uploaded.etag, `"${createHash('md5').update(part).digest('hex').toUpperCase()}"`);

    // ali-oss hands over the parsed XML: one <Part> is an object, several an array.
    const listed = await client.listParts(key, uploadId);
    const parts = [listed.parts].flat();
    assert.deepEqual(parts.map(p => [p.PartNumber, p.ETag, p.Size]), [['1', uploaded.etag, String(PART_SIZE)]]);
    assert.equal(listed.uploadId, uploadId);
    const uploads = await client.listUploads({ prefix: key });
    assert.deepEqual(uploads.uploads.map(u => [u.name, u.uploadId]), [[key, uploadId]]);

    const aborted = await client.abortMultipartUpload(key, uploadId);
    assert.equal(aborted.res.status, 204);
    await assert.rejects(client.listParts(key, uploadId), e => e.status === 404 && e.code === 'NoSuchUpload');
    await assert.rejects(client.head(key), e => e.status === 404);
  });
});

describe('curl through URLs ali-oss presigned for each multipart step', () => {
  test('initiate, two parts with curl -T, complete with the XML body: the object is the parts', async () => {
    const client = aliClient();
    const key = 'multipart/curl steps.bin';
    const parts = [testBytes(PART_SIZE + 1, 43), testBytes(777, 44)];

    // ali-oss signs a key-only parameter when its value is null (OSS-V4.md §1.4).
    const initiateUrl = await client.signatureUrlV4('POST', 600, { queries: { uploads: null } }, key);
    const initiated = await curl(['-X', 'POST', initiateUrl]);
    assert.equal(initiated.status, 200, initiated.body);
    const uploadId = /<UploadId>([0-9A-F]{32})<\/UploadId>/.exec(initiated.body)[1];

    const etags = [];
    for (let i = 0; i < parts.length; i++) {
      const file = path.join(dir, `curl-part-${i + 1}.bin`);
      await writeFile(file, parts[i]);
      const partUrl = await client.signatureUrlV4('PUT', 600, { queries: { partNumber: String(i + 1), uploadId } }, key);
      const put = await curl(['-T', file, '-D', '-', partUrl]);
      assert.equal(put.status, 200, put.body);
      etags.push(/^etag: *(\S+)/im.exec(put.body)[1]);
    }

    const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const completeUrl = await client.signatureUrlV4('POST', 600, { queries: { uploadId } }, key);
    const bodyFile = path.join(dir, 'complete.xml');
    await writeFile(bodyFile, xml);

    // curl -d would add "Content-Type: application/x-www-form-urlencoded", which the URL did not sign: 403, as on OSS.
    const unsigned = await curl(['--data-binary', `@${bodyFile}`, completeUrl]);
    assert.equal(unsigned.status, 403, unsigned.body);
    assert.match(unsigned.body, /<Code>SignatureDoesNotMatch<\/Code>/);
    const completed = await curl(['--data-binary', `@${bodyFile}`, '-H', 'Content-Type:', completeUrl]);
    assert.equal(completed.status, 200, completed.body);
    assert.match(completed.body, new RegExp(`<ETag>${multipartEtag(parts)}</ETag>`));

    const get = await request('GET', await client.signatureUrlV4('GET', 600, {}, key));
    assert.ok(Buffer.compare(get.body, Buffer.concat(parts)) === 0, 'GET returns the parts, joined');
  });
});

/** Runs curl; resolves with the HTTP status and the body (or, with -D -, the headers and body). */
async function curl(args) {
  const { stdout } = await run('curl', ['-sS', '-w', '\n%{http_code}', ...args]);
  const newline = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(newline + 1)), body: stdout.slice(0, newline) };
}
