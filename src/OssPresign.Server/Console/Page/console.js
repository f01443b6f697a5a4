// The OssPresign console: uploads files to presigned URLs with XMLHttpRequest (for upload progress), sending exactly
// the headers each URL was signed with; large files in parts, through a presigned multipart upload. Upload mode gets the URLs from the server's same-origin presign endpoint;
// paste mode takes a URL and headers made elsewhere and needs no endpoint.
'use strict';

// Headers a page cannot set: the browser owns them, so a URL that signs one of them cannot be used from a page.
const FORBIDDEN_HEADERS = new Set([
  'accept-charset', 'accept-encoding', 'access-control-request-headers', 'access-control-request-method',
  'connection', 'content-length', 'cookie', 'date', 'dnt', 'expect', 'host', 'keep-alive', 'origin', 'referer',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'via',
]);

const byId = (id) => document.getElementById(id);

// Files larger than this are uploaded in parts (a multipart upload); parts go PARALLEL_PARTS at a time, each tried
// up to PART_ATTEMPTS times.
const MULTIPART_ABOVE = 64 * 1024 * 1024;
const PARALLEL_PARTS = 3;
const PART_ATTEMPTS = 3;

function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  // Whole bytes (a speed is a fraction of bytes per second), one decimal above; a value that would print as 1024 of
  // a unit is shown in the next unit instead.
  let value = Math.round(bytes);
  let unit = 0;
  while (unit < units.length - 1 && value >= (unit === 0 ? 1024 : 1023.95)) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

// One row of the Uploads list: progress bar, speed and outcome of one file.
class UploadRow {
  constructor(fileName, target) {
    const fragment = byId('result-template').content.cloneNode(true);
    this.element = fragment.querySelector('.result');
    this.element.querySelector('.result-name').textContent = fileName;
    this.element.querySelector('.result-target').textContent = target;
    this.progressBar = this.element.querySelector('.result-progress');
    this.progressBar.setAttribute('aria-label', `Upload progress of ${fileName}`);
    this.percent = this.element.querySelector('.result-percent');
    this.speed = this.element.querySelector('.result-speed');
    this.outcome = this.element.querySelector('.result-outcome');

    // Progress events seen while bytes were still outstanding; the tests read this to know progress was shown.
    this.partialProgressEvents = 0;
    this.element.dataset.partialProgressEvents = '0';
    byId('results').prepend(this.element);
  }

  setState(state) {
    this.element.dataset.state = state;
  }

  setTarget(target) {
    this.element.querySelector('.result-target').textContent = target;
  }

  progress(loaded, total, elapsedMs) {
    const fraction = total > 0 ? loaded / total : 1;
    this.progressBar.value = Math.round(fraction * 100);
    this.percent.textContent = `${Math.floor(fraction * 100)}%`;
    if (elapsedMs > 0) {
      this.speed.textContent = `${formatBytes(loaded / (elapsedMs / 1000))}/s`;
    }
    if (loaded < total) {
      this.partialProgressEvents += 1;
      this.element.dataset.partialProgressEvents = String(this.partialProgressEvents);
    }
  }

  succeed(size, elapsedMs, etag, getUrl, etagNote) {
    this.setState('done');
    this.progress(size, size, elapsedMs);
    this.outcome.replaceChildren();
    const summary = document.createElement('p');
    summary.className = 'ok';
    summary.textContent = `Stored ${formatBytes(size)} in ${(elapsedMs / 1000).toFixed(2)} s.`;
    this.outcome.append(summary);

    const details = document.createElement('dl');
    const add = (term, value) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      if (typeof value === 'string') {
        dd.textContent = value;
      } else {
        dd.append(value);
      }
      details.append(dt, dd);
    };
    const etagValue = document.createElement('code');
    etagValue.className = 'result-etag';
    etagValue.textContent = etag ?? etagNote;
    add('ETag', etagValue);
    if (getUrl) {
      const link = document.createElement('a');
      link.href = getUrl;
      link.className = 'result-get';
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      link.textContent = 'Download (presigned GET)';
      add('Link', link);
    } else {
      add('Link', 'Presign a GET to share it: oss-presign presign --method get …');
    }
    this.outcome.append(details);
  }

  // problem: { title, code, message, hint, requestId, details: [[name, value]] }
  fail(problem) {
    this.setState('failed');
    this.speed.textContent = '';
    this.outcome.replaceChildren();
    const box = document.createElement('div');
    box.className = 'error';
    box.setAttribute('role', 'alert');
    const title = document.createElement('p');
    title.className = 'error-title';
    title.textContent = problem.title;
    box.append(title);

    const list = document.createElement('dl');
    const add = (term, value, className) => {
      if (!value) {
        return;
      }
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      if (className) {
        dd.className = className;
      }
      list.append(dt, dd);
    };
    add('Code', problem.code, 'error-code');
    add('Message', problem.message, 'error-message');
    add('Request id', problem.requestId);
    box.append(list);

    if (problem.hint) {
      const hint = document.createElement('p');
      hint.className = 'error-hint';
      hint.textContent = problem.hint;
      box.append(hint);
    }

    for (const [name, value] of problem.details ?? []) {
      if (!value) {
        continue;
      }
      const more = document.createElement('details');
      const summary = document.createElement('summary');
      summary.textContent = name;
      const pre = document.createElement('pre');
      pre.textContent = value;
      more.append(summary, pre);
      box.append(more);
    }
    this.outcome.append(box);
  }
}

// An OSS error body: <Error><Code/><Message/><RequestId/><EC/>…</Error>; null when the body is something else.
function decodeOssError(text) {
  if (!text) {
    return null;
  }
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const root = doc.documentElement;
  if (!root || root.nodeName !== 'Error' || doc.getElementsByTagName('parsererror').length > 0) {
    return null;
  }
  const field = (name) => root.getElementsByTagName(name)[0]?.textContent ?? '';
  return {
    code: field('Code'),
    message: field('Message'),
    requestId: field('RequestId'),
    ec: field('EC'),
    stringToSign: field('StringToSign'),
    canonicalRequest: field('CanonicalRequest'),
  };
}

// Why an upload was refused, in words: the OSS code and message, and what to change.
// sent: { contentType } the Content-Type the browser sent ('' for none); signed: the headers the URL was signed with.
function describeFailure(result, url, sent, signed) {
  if (result.networkError) {
    const target = new URL(url);
    const crossOrigin = target.origin !== window.location.origin;
    return {
      title: 'The browser did not complete the upload.',
      code: crossOrigin ? 'CORS or network error' : 'Network error',
      message: crossOrigin
        ? `This page (${window.location.origin}) uploads to another origin (${target.origin}). The browser refuses that unless the bucket's CORS rules allow this origin, the PUT method and the headers sent; it does not tell the page which one failed.`
        : `The server at ${target.origin} did not answer.`,
      hint: crossOrigin
        ? `Add a CORS rule to the bucket with AllowedOrigin ${window.location.origin}, AllowedMethod PUT, AllowedHeader * and ExposeHeader ETag, or check that the server runs.`
        : 'Check that the server is running and the URL is right.',
    };
  }

  const error = decodeOssError(result.body);
  if (!error) {
    return {
      title: `The upload was refused: HTTP ${result.status} ${result.statusText}`.trim(),
      code: `HTTP ${result.status}`,
      message: result.body ? result.body.slice(0, 500) : 'The response had no OSS error body.',
      requestId: result.requestId,
    };
  }

  const signedContentType = signed['content-type'];
  let hint = '';
  if (error.code === 'SignatureDoesNotMatch') {
    if (signedContentType === undefined && sent.contentType) {
      hint = `Content-Type mismatch: the browser sent "Content-Type: ${sent.contentType}" (the file's type) but the URL was signed without a Content-Type, so OSS computed a different signature. Presign with --content-type ${sent.contentType} and send that header, or upload from a client that sends no Content-Type.`;
    } else if (signedContentType !== undefined && signedContentType !== sent.contentType) {
      hint = `Content-Type mismatch: the URL was signed with "Content-Type: ${signedContentType}" but the browser sent "${sent.contentType || '(none)'}".`;
    } else {
      hint = 'The headers sent are not those the URL was signed with, or the URL was changed after signing. Paste exactly the headers presign printed; inspect checks a URL and headers offline.';
    }
  } else if (error.code === 'AccessDenied' && /expired/i.test(error.message)) {
    hint = 'The URL has expired: presign a new one.';
  } else if (error.code === 'AccessDenied') {
    hint = 'The key that signed the URL is not allowed to write this object (its policy), or the request is anonymous.';
  } else if (error.code === 'NoSuchBucket') {
    hint = 'The bucket in the URL does not exist on this server.';
  }

  return {
    title: `The upload was refused (HTTP ${result.status}).`,
    code: error.code,
    message: error.message,
    hint,
    requestId: error.requestId || result.requestId,
    details: [['Canonical request computed by the server', error.canonicalRequest], ['String to sign', error.stringToSign]],
  };
}

// PUTs body to url with exactly these headers, reporting (bytes sent, bytes in all) as it goes; resolves (never
// rejects) with what happened.
function put(url, headers, body, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const started = performance.now();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.addEventListener('progress', (event) => {
      onProgress(event.loaded, event.lengthComputable ? event.total : body.size);
    });
    xhr.addEventListener('load', () => resolve({
      ok: xhr.status >= 200 && xhr.status < 300,
      status: xhr.status,
      statusText: xhr.statusText,
      etag: xhr.getResponseHeader('ETag'),
      requestId: xhr.getResponseHeader('x-oss-request-id'),
      body: xhr.responseText,
      elapsedMs: performance.now() - started,
    }));
    xhr.addEventListener('error', () => resolve({ networkError: true }));
    xhr.addEventListener('abort', () => resolve({ networkError: true }));
    xhr.send(body);
  });
}

// Uploads one file and fills its row. signed: lower-case header name -> value, as the URL was signed.
async function uploadTo(row, url, signed, file, getUrl) {
  const headers = {};
  for (const [name, value] of Object.entries(signed)) {
    headers[name] = value;
  }
  // Without a signed Content-Type, XMLHttpRequest sends the file's own type, as every browser does.
  const sent = { contentType: signed['content-type'] ?? file.type };
  const started = performance.now();
  row.setState('uploading');
  const result = await put(url, headers, file, (loaded, total) => row.progress(loaded, total, performance.now() - started));
  if (result.ok) {
    const note = new URL(url).origin === window.location.origin
      ? '(not in the response)'
      : '(not readable: the bucket\'s CORS rule does not expose ETag)';
    row.succeed(file.size, result.elapsedMs, result.etag, getUrl, note);
  } else {
    row.fail(describeFailure(result, url, sent, signed));
  }
}

function lowerCaseKeys(headers) {
  const lower = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    lower[name.toLowerCase()] = value;
  }
  return lower;
}

// "Name: value" lines (blank lines skipped) -> lower-case name -> value; throws with a message for the form. The
// block may be pasted with the label presign prints before its first header ("Signed headers:  Content-Type: ...")
// or inspect before the headers given ("Headers given:"), and with presign's "(none: ...)" for no header.
function parseHeaders(text) {
  const headers = {};
  let firstLineSeen = false;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    let line = raw.trim();
    if (!firstLineSeen && line.length > 0) {
      firstLineSeen = true;
      line = line.replace(/^(signed headers|headers given):\s*/i, '');
      if (/^\(none\b/i.test(line)) {
        line = '';
      }
    }
    if (line.length === 0) {
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      throw new Error(`Line ${index + 1} is not "Name: value": ${line}`);
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) {
      throw new Error(`Line ${index + 1}: "${name}" is not a header name.`);
    }
    if (FORBIDDEN_HEADERS.has(name)) {
      throw new Error(`Line ${index + 1}: a page cannot set ${name}; the browser sends it itself. Presign without signing it.`);
    }
    if (name in headers) {
      throw new Error(`Line ${index + 1}: ${name} is given twice.`);
    }
    headers[name] = value;
  }
  return headers;
}

// Uploads a file in parts through a presigned multipart upload (from api/presign-multipart): PARALLEL_PARTS parts
// at a time, each retried on a network error or a 5xx, then the completion with the part list; on failure the upload
// is aborted, so that no part stays behind.
async function uploadParts(row, upload, file) {
  const started = performance.now();
  const count = upload.parts.length;
  const sentByPart = new Array(count).fill(0);
  const etags = new Array(count);
  let failure = null;
  let next = 0;
  row.setState('uploading');
  const report = () => row.progress(sentByPart.reduce((sum, sent) => sum + sent, 0), file.size, performance.now() - started);

  async function sendPart(index) {
    const part = upload.parts[index];
    const start = index * upload.partSize;
    const body = file.slice(start, Math.min(start + upload.partSize, file.size));
    for (let attempt = 1; ; attempt += 1) {
      const result = await put(part.url, lowerCaseKeys(part.signedHeaders), body, (loaded) => {
        sentByPart[index] = loaded;
        report();
      });
      if (result.ok && result.etag) {
        sentByPart[index] = body.size;
        report();
        return result.etag;
      }
      if (attempt >= PART_ATTEMPTS || !(result.networkError || result.status >= 500)) {
        throw { result, url: part.url, signed: lowerCaseKeys(part.signedHeaders) };
      }
    }
  }

  async function worker() {
    while (failure === null && next < count) {
      const index = next;
      next += 1;
      try {
        etags[index] = await sendPart(index);
      } catch (error) {
        failure ??= error;
      }
    }
  }

  await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
  if (failure === null) {
    const partList = `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const complete = await send('POST', upload.complete, new Blob([partList]));
    if (complete.ok) {
      row.succeed(file.size, performance.now() - started, complete.etag, upload.getUrl, '(not in the response)');
      return;
    }
    failure = { result: complete, url: upload.complete.url, signed: lowerCaseKeys(upload.complete.signedHeaders) };
  }

  // Nothing of a failed upload should stay on the server; whether the abort works or not, the failure is reported.
  if (upload.abort) {
    await send('DELETE', upload.abort, null);
  }
  row.fail(describeFailure(failure.result, failure.url, { contentType: '' }, failure.signed));
}

// Sends one of a multipart upload's bodiless or small requests with fetch, exactly with its signed headers. A Blob of
// no type is sent without a Content-Type (a string body would get "text/plain", which the URL did not sign).
async function send(method, presigned, body) {
  try {
    const response = await fetch(presigned.url, { method, headers: presigned.signedHeaders, body });
    return {
      ok: response.ok,
      status: response.status,
      statusText: response.statusText,
      etag: response.headers.get('ETag'),
      requestId: response.headers.get('x-oss-request-id'),
      body: await response.text(),
    };
  } catch {
    return { networkError: true };
  }
}

async function presign(bucket, key, contentType, expiresSeconds, multipart) {
  let response;
  try {
    response = await fetch(multipart ? 'api/presign-multipart' : 'api/presign', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ bucket, key, contentType, expiresSeconds, ...multipart }),
    });
  } catch (error) {
    return { problem: { title: 'The presign endpoint did not answer.', code: 'Network error', message: String(error) } };
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    return {
      problem: {
        title: `The server did not presign the upload (HTTP ${response.status}).`,
        code: body?.code ?? `HTTP ${response.status}`,
        message: body?.message ?? 'The presign endpoint gave no reason.',
      },
    };
  }
  return { presigned: body };
}

async function onUpload(event) {
  event.preventDefault();
  const formError = byId('upload-form-error');
  formError.textContent = '';
  const files = [...byId('files').files];
  const bucket = byId('bucket').value;
  const prefix = byId('prefix').value;
  const ttl = Number(byId('ttl').value);
  if (!bucket) {
    formError.textContent = 'Choose a bucket.';
    return;
  }
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 604800) {
    formError.textContent = 'The validity must be a whole number of seconds from 1 to 604800.';
    byId('ttl').focus();
    return;
  }
  if (files.length === 0) {
    formError.textContent = 'Choose at least one file.';
    byId('files').focus();
    return;
  }

  // Files above multipartAbove go in parts (a single PUT takes at most 5 GiB); the page's address may lower both
  // sizes, e.g. ?multipartAbove=1048576&partSize=102400.
  const query = new URLSearchParams(window.location.search);
  const multipartAbove = Number(query.get('multipartAbove') ?? MULTIPART_ABOVE);
  const partSize = query.has('partSize') ? Number(query.get('partSize')) : undefined;

  const button = byId('upload-button');
  button.disabled = true;
  try {
    // One at a time, so that each row's speed is the speed of that file.
    for (const file of files) {
      const key = prefix + file.name;
      const row = new UploadRow(file.name, `${bucket}/${key}`);
      row.setState('presigning');
      const multipart = file.size > multipartAbove ? { size: file.size, partSize } : undefined;
      const { presigned, problem } = await presign(bucket, key, file.type, ttl, multipart);
      if (problem) {
        row.fail(problem);
        continue;
      }
      if (multipart) {
        await uploadParts(row, presigned, file);
      } else {
        await uploadTo(row, presigned.url, lowerCaseKeys(presigned.signedHeaders), file, presigned.getUrl);
      }
    }
  } finally {
    button.disabled = false;
  }
}

async function onPaste(event) {
  event.preventDefault();
  const formError = byId('paste-form-error');
  formError.textContent = '';
  const urlText = byId('paste-url').value.trim();
  const file = byId('paste-file').files[0];
  let url;
  try {
    url = new URL(urlText);
  } catch {
    formError.textContent = 'Paste the whole presigned URL, starting with http:// or https://.';
    byId('paste-url').focus();
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    formError.textContent = 'The URL must start with http:// or https://.';
    byId('paste-url').focus();
    return;
  }
  let signed;
  try {
    signed = parseHeaders(byId('paste-headers').value);
  } catch (error) {
    formError.textContent = error.message;
    byId('paste-headers').focus();
    return;
  }
  if (!file) {
    formError.textContent = 'Choose a file.';
    byId('paste-file').focus();
    return;
  }

  const button = byId('paste-button');
  button.disabled = true;
  try {
    const row = new UploadRow(file.name, `${url.origin}${url.pathname}`);
    await uploadTo(row, url.href, signed, file, null);
  } finally {
    button.disabled = false;
  }
}

function showMode(mode) {
  byId('upload-section').hidden = mode !== 'upload';
  byId('paste-section').hidden = mode !== 'paste';
}

function describeChosen() {
  const files = [...byId('files').files];
  const total = files.reduce((sum, file) => sum + file.size, 0);
  byId('chosen').textContent = files.length === 0
    ? 'No file chosen.'
    : `${files.length} file${files.length === 1 ? '' : 's'} chosen (${formatBytes(total)}): ${files.map((f) => f.name).join(', ')}`;
}

function wireDropZone() {
  const zone = byId('drop-zone');
  const input = byId('files');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    if (event.dataTransfer?.files.length) {
      input.files = event.dataTransfer.files;
      describeChosen();
    }
  });
  input.addEventListener('change', describeChosen);
}

async function loadStatus() {
  const status = byId('presign-status');
  let answer = null;
  try {
    const response = await fetch('api/status', { headers: { Accept: 'application/json' } });
    answer = response.ok ? await response.json() : null;
  } catch {
    answer = null;
  }
  const form = byId('upload-form');
  if (!answer?.presign) {
    status.textContent = `${answer?.reason ?? 'The server does not presign for this page.'} Paste a presigned URL instead.`;
    form.hidden = true;
    byId('mode-paste').checked = true;
    showMode('paste');
    return;
  }

  const select = byId('bucket');
  for (const bucket of answer.buckets) {
    const option = document.createElement('option');
    option.value = bucket.name;
    option.textContent = `${bucket.name} (${bucket.region})`;
    select.append(option);
  }
  status.textContent = answer.buckets.length === 0
    ? 'The server presigns uploads, but it has no bucket yet.'
    : 'The server presigns each upload with the file\'s Content-Type signed.';
}

document.addEventListener('DOMContentLoaded', () => {
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener('change', () => showMode(radio.value));
  }
  byId('upload-form').addEventListener('submit', onUpload);
  byId('paste-form').addEventListener('submit', onPaste);
  wireDropZone();
  loadStatus();
});
