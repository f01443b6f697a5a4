// The interop suite's harness: a real `oss-presign serve` child process on 127.0.0.1 (a free port, a temporary data
// folder, a config file with the keys below), the `oss-presign presign --json` CLI, and a plain node:http client.
// Nothing here talks to anything but loopback.
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import dns from 'node:dns';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const interopDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(interopDir, '..', '..');

/**
 * The CLI: OSS_PRESIGN_CLI_DLL (run.sh sets it), else the one run.sh builds, else the solution's Release build.
 */
export const cliDll = process.env.OSS_PRESIGN_CLI_DLL
  ?? [path.join(repoRoot, 'artifacts', 'interop', 'cli', 'oss-presign.dll'),
    path.join(repoRoot, 'src', 'OssPresign.Cli', 'bin', 'Release', 'net10.0', 'oss-presign.dll')].find(p => existsSync(p))
  ?? path.join(repoRoot, 'artifacts', 'interop', 'cli', 'oss-presign.dll');

export const BUCKET = 'interop-bucket';
export const REGION = 'cn-hangzhou';

/** A long-term key with full access. */
export const KEY = Object.freeze({ id: 'interop-ak', secret: 'interop-secret-7Qx/+9' });

/** An STS key: the server refuses its requests unless they carry exactly this token. */
export const STS_KEY = Object.freeze({ id: 'interop-sts-ak', secret: 'interop-sts-secret-Lp2', token: 'CAIS/interop+sts=token' });

const serverConfig = {
  buckets: [{ name: BUCKET, region: REGION }],
  accessKeys: [
    { id: KEY.id, secret: KEY.secret },
    { id: STS_KEY.id, secret: STS_KEY.secret, securityToken: STS_KEY.token },
  ],
};

/** The environment for child processes, without any OSS credentials of the caller's shell. */
export function childEnv(extra = {}) {
  const env = { ...process.env, DOTNET_NOLOGO: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1' };
  delete env.OSS_ACCESS_KEY_ID;
  delete env.OSS_ACCESS_KEY_SECRET;
  delete env.OSS_SESSION_TOKEN;
  return { ...env, ...extra };
}

function requireCli() {
  if (!existsSync(cliDll)) {
    throw new Error(`${cliDll} is missing: run tests/interop/run.sh, or build it with ` +
      '`dotnet build src/OssPresign.Cli -c Release -o artifacts/interop/cli`, or set OSS_PRESIGN_CLI_DLL.');
  }
}

/**
 * Starts `oss-presign serve --port 0` and resolves once it answers HTTP. serve prints `Endpoint: http://127.0.0.1:P/`
 * after Kestrel has bound the port; the harness reads the port from that line, then polls the endpoint until any HTTP
 * response comes back.
 */
export async function startServer() {
  requireCli();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oss-interop-'));
  const configFile = path.join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(serverConfig, null, 2));
  const child = spawn('dotnet', [cliDll, 'serve', '--host', '127.0.0.1', '--port', '0', '--data', path.join(dir, 'data'),
    '--config', configFile, '--region', REGION, '--bucket', BUCKET], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', d => { output += d; });
  child.stderr.setEncoding('utf8').on('data', d => { output += d; });
  const exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const port = await new Promise((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`serve did not print its endpoint within 60 s:\n${output}`)), 60_000);
      const check = () => {
        const match = /Endpoint:\s+http:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
        if (match) {
          clearTimeout(deadline);
          resolve(Number(match[1]));
        }
      };
      child.stdout.on('data', check);
      exited.then(({ code, signal }) => {
        clearTimeout(deadline);
        reject(new Error(`serve exited (${code ?? signal}) before it was ready:\n${output}`));
      });
    });
    const endpoint = `http://127.0.0.1:${port}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await request('GET', `${endpoint}/`);
        break;
      } catch (e) {
        if (attempt >= 100) throw new Error(`serve printed ${endpoint} but does not answer: ${e.message}\n${output}`);
        await new Promise(r => setTimeout(r, 100));
      }
    }
    return { port, endpoint, localhost: `http://localhost:${port}`, output: () => output, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Runs `oss-presign presign --json ARGS` with the given key in OSS_ACCESS_KEY_ID/SECRET (and OSS_SESSION_TOKEN) and
 * returns the parsed `{method, url, expiration, signedHeaders}`.
 */
export async function presignWithCli(args, key = KEY) {
  requireCli();
  const env = childEnv({ OSS_ACCESS_KEY_ID: key.id, OSS_ACCESS_KEY_SECRET: key.secret, ...(key.token ? { OSS_SESSION_TOKEN: key.token } : {}) });
  const { stdout } = await run('dotnet', [cliDll, 'presign', '--json', '--region', REGION, '--bucket', BUCKET, ...args], { env });
  return JSON.parse(stdout);
}

/** Runs a program; resolves with its exit code and output whatever the code (rejects only when it cannot start). */
export function run(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024, ...options }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      const code = error ? error.code : 0;
      if (code !== 0 && !options.allowFailure) {
        reject(new Error(`${file} ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`));
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
}

/** Resolves `*.localhost` (virtual-hosted `bucket.localhost`) to 127.0.0.1 whatever the system resolver does. */
export function localhostLookup(hostname, options, callback) {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if (options && options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  dns.lookup(hostname, options, callback);
}

/**
 * A plain node:http request, as a user with no SDK would write it: the URL's path and query are sent byte for byte
 * (no re-encoding), with exactly the given headers and nothing else but Host and Content-Length.
 * Resolves with `{status, headers, body}`; `body` is a Buffer.
 */
export function request(method, url, { headers = {}, body } = {}) {
  const authorityEnd = url.indexOf('/', url.indexOf('://') + 3);
  const { hostname, port } = new URL(url);
  const target = authorityEnd < 0 ? '/' : url.slice(authorityEnd);
  const allHeaders = { ...headers };
  if (body !== undefined) allHeaders['Content-Length'] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const req = http.request({ method, hostname, port, path: target, headers: allHeaders, lookup: localhostLookup, agent: false }, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The `<Code>` of an OSS XML error body, or null. */
export function errorCode(response) {
  const match = /<Code>([^<]*)<\/Code>/.exec(response.body.toString('utf8'));
  return match ? match[1] : null;
}

/** The URL with one hex digit of x-oss-signature changed. */
export function tamperSignature(url) {
  return url.replace(/([?&]x-oss-signature=[0-9a-f]*)([0-9a-f])/, (_, head, last) => head + (last === '0' ? '1' : '0'));
}

/** Bytes of every value 0-255, in a pseudo-random order fixed by the seed, so a round trip that mangles any byte fails. */
export function testBytes(length, seed = 1) {
  const bytes = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    bytes[i] = i < 256 ? i : x & 0xff;
  }
  return bytes;
}

/**
 * Replaces the global Date so that `new Date()` and `Date.now()` return `epochSeconds` (ali-oss takes its signing
 * time from `new Date()`); returns a function that restores the real Date.
 */
export function freezeDate(epochSeconds) {
  const RealDate = globalThis.Date;
  const frozen = epochSeconds * 1000;
  class FrozenDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(frozen);
      else super(...args);
    }

    static now() {
      return frozen;
    }
  }
  globalThis.Date = FrozenDate;
  return () => { globalThis.Date = RealDate; };
}
