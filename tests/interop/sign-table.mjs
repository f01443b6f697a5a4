// Prints, as JSON on stdout, what ali-oss signs for every case of sign-cases.mjs on a frozen clock: the presigned URLs
// (signatureUrlV4) and the header-mode requests (method, URL, headers with Authorization). The xUnit test
// tests/OssPresign.Tests/Interop/AliOssSignatureEqualityTests.cs runs this and recomputes each with OssPresign.
// Run: node tests/interop/sign-table.mjs   (after `npm ci` in tests/interop)
import { createRequire } from 'node:module';
import { HEADER_CASES, PRESIGN_CASES, TABLE_ENDPOINT, TABLE_REGION, aliOssHeaderRequest, aliOssPresign } from './sign-cases.mjs';

const aliOssVersion = createRequire(import.meta.url)('ali-oss/package.json').version;
const presign = [];
for (const c of PRESIGN_CASES) {
  presign.push({ ...c, url: await aliOssPresign(c) });
}
const header = [];
for (const c of HEADER_CASES) {
  header.push({ id: c.id, bucket: c.bucket, key: c.key, ak: c.ak, sk: c.sk, token: c.token ?? null, time: c.time,
    additionalHeaders: c.options.additionalHeaders ?? [], request: await aliOssHeaderRequest(c) });
}
process.stdout.write(`${JSON.stringify({ aliOssVersion, endpoint: TABLE_ENDPOINT, region: TABLE_REGION, presign, header }, null, 2)}\n`);
