// Plain clients uploading through URLs from `oss-presign presign`: curl -T (the exact line presign prints, and one
// written by hand) and Python's standard library (clients/upload.py, urllib.request only). The .NET HttpClient
// counterpart is tests/OssPresign.Cli.Tests/Interop/HttpClientUploadTests.cs.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BUCKET, KEY, REGION, childEnv, cliDll, interopDir, presignWithCli, request, run, startServer, tamperSignature, testBytes,
} from '../harness.mjs';

const curl = process.env.CURL ?? 'curl';
const python = process.env.PYTHON ?? 'python3';
const uploadPy = path.join(interopDir, 'clients', 'upload.py');

let server;
let dir;
before(async () => {
  server = await startServer();
  dir = await mkdtemp(path.join(os.tmpdir(), 'oss-interop-files-'));
});
after(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const presign = (key, more = []) => presignWithCli(['--endpoint', server.endpoint, '--object', key, '--expires', '10m', ...more]);

async function file(name, bytes) {
  const p = path.join(dir, name);
  await writeFile(p, bytes);
  return p;
}

async function download(key) {
  const response = await request('GET', (await presign(key, ['--method', 'get'])).url);
  assert.equal(response.status, 200, `GET ${key}: ${response.body}`);
  return response.body;
}

/** curl's status code; the response body goes to a file so that it can be shown on failure. */
async function curlStatus(args) {
  const out = path.join(dir, 'curl-response');
  const { stdout } = await run(curl, ['-sS', '-o', out, '-w', '%{http_code}', ...args]);
  return Number(stdout);
}

describe('curl -T', () => {
  test('the curl line that oss-presign presign prints uploads the file', async () => {
    const key = 'curl/printed line.csv';
    const bytes = testBytes(100_000, 21);
    await file('printed line.csv', bytes);
    const env = childEnv({ OSS_ACCESS_KEY_ID: KEY.id, OSS_ACCESS_KEY_SECRET: KEY.secret });
    const { stdout } = await run('dotnet', [cliDll, 'presign', '--endpoint', server.endpoint, '--region', REGION, '--bucket', BUCKET,
      '--object', key, '--content-type', 'text/csv', '--meta', 'source=curl'], { env });
    const lines = stdout.split('\n');
    const line = lines[lines.findIndex(l => l.trim() === 'curl:') + 1].trim();
    assert.match(line, /^curl -T 'printed line\.csv' -H 'Content-Type: text\/csv' -H 'x-oss-meta-source: curl' 'http:\/\/127\.0\.0\.1:/);

    const { stdout: status } = await run('bash', ['-c', `${line} -sS -o /dev/null -w '%{http_code}'`], { cwd: dir });
    assert.equal(status, '200');
    assert.ok(Buffer.compare(await download(key), bytes) === 0, 'GET returns the bytes curl uploaded');
  });

  test('a hand-written curl -T with the signed headers uploads 2 MiB (Expect: 100-continue); tampered or unsigned: 403', async () => {
    const key = 'curl/two mebibytes+.bin';
    const bytes = testBytes(2 * 1024 * 1024, 22);
    const local = await file('two.bin', bytes);
    const put = await presign(key, ['--content-type', 'application/octet-stream']);
    const headerArgs = Object.entries(put.signedHeaders).flatMap(([n, v]) => ['-H', `${n}: ${v}`]);

    assert.equal(await curlStatus(['-T', local, ...headerArgs, put.url]), 200);
    assert.ok(Buffer.compare(await download(key), bytes) === 0, 'GET returns the bytes curl uploaded');

    assert.equal(await curlStatus(['-T', local, ...headerArgs, tamperSignature(put.url)]), 403, 'tampered signature');
    assert.equal(await curlStatus(['-T', local, put.url]), 403, 'signed Content-Type not sent');
    assert.equal(await curlStatus(['-T', local, '-H', 'Content-Type: text/plain', put.url]), 403, 'another Content-Type');
  });
});

describe('Python urllib.request (standard library only)', () => {
  test('uploads through a URL that signed a Content-Type, sending that Content-Type', async () => {
    const key = 'python/upload 中 +.bin';
    const bytes = testBytes(300_000, 31);
    const local = await file('python.bin', bytes);
    const put = await presign(key, ['--content-type', 'application/octet-stream', '--meta', 'client=python']);
    const headers = Object.entries(put.signedHeaders).map(([n, v]) => `${n}: ${v}`);

    const result = await run(python, [uploadPy, put.url, local, ...headers], { allowFailure: true });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^200 "[0-9A-F]{32}"/);
    assert.ok(Buffer.compare(await download(key), bytes) === 0, 'GET returns the bytes Python uploaded');
  });

  test('a tampered URL is refused: 403 SignatureDoesNotMatch', async () => {
    const local = await file('python-tampered.bin', 'x');
    const put = await presign('python/tampered.bin', ['--content-type', 'text/plain']);
    const result = await run(python, [uploadPy, tamperSignature(put.url), local, 'Content-Type: text/plain'], { allowFailure: true });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^403 .*<Code>SignatureDoesNotMatch<\/Code>/s);
  });

  test("urllib's default Content-Type (application/x-www-form-urlencoded) is refused when the URL signed none", async () => {
    const local = await file('python-default.bin', 'x');
    const put = await presign('python/default-content-type.bin');
    assert.deepEqual(put.signedHeaders, {});
    const result = await run(python, [uploadPy, put.url, local], { allowFailure: true });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^403 .*<Code>SignatureDoesNotMatch<\/Code>/s);
    assert.match(result.stdout, /content-type:application\/x-www-form-urlencoded/, "the server's canonical request shows urllib's header");
    const head = await request('HEAD', (await presign('python/default-content-type.bin', ['--method', 'head'])).url);
    assert.equal(head.status, 404);
  });
});
