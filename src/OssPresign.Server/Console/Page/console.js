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
const PART_ATTEMPTS = 5;

// The wait before a part's next attempt doubles from RETRY_BASE_MS (0.5, 1, 2, 4 s), so that the attempts span a
// short outage such as a server restart (7.5 s at least) instead of failing within a fraction of a second; each wait
// is stretched by up to half at random, so that parts that failed together do not all come back at the same moment.
const RETRY_BASE_MS = 500;

function retryDelayMs(failedAttempt) {
  const base = RETRY_BASE_MS * 2 ** (failedAttempt - 1);
  return base + Math.random() * (base / 2);
}

// Resolves after ms, or at once when signal aborts (a cancelled upload does not sit out its backoff).
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
    if (signal.aborted) {
      done();
    }
  });
}

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

// The running uploads, each form's one batch at a time: the page asks before it is left while there are any, and
// aborts their multipart uploads as it goes.
const batches = new Set();

// One run of a form's uploads: its Upload button is disabled and its Cancel button shown until it ends. Cancel stops
// the transfer under way (the XMLHttpRequests are aborted) and the files not yet started.
class Batch {
  constructor(startButton, cancelButton) {
    this.startButton = startButton;
    this.cancelButton = cancelButton;
    this.controller = new AbortController();
    this.signal = this.controller.signal;
    // The multipart upload under way, so that leaving the page can abort it.
    this.multipart = null;
    this.onCancel = () => this.controller.abort();
  }

  start() {
    batches.add(this);
    this.cancelButton.addEventListener('click', this.onCancel);
    this.cancelButton.hidden = false;
    this.startButton.disabled = true;
  }

  end() {
    batches.delete(this);
    this.cancelButton.removeEventListener('click', this.onCancel);
    // Disabling the focused Upload button, or hiding the focused Cancel button, sends keyboard focus to <body>; give
    // it back to the Upload button, unless the user has moved it elsewhere meanwhile.
    const active = document.activeElement;
    const lost = !active || active === document.body || active === this.startButton || active === this.cancelButton;
    this.cancelButton.hidden = true;
    this.startButton.disabled = false;
    if (lost) {
      this.startButton.focus();
    }
  }
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
  }

  // Puts the rows of one batch at the top of the Uploads list, in the order of the files.
  static show(rows) {
    byId('results').prepend(...rows.map((row) => row.element));
  }

  setState(state) {
    this.element.dataset.state = state;
    if (state === 'waiting') {
      this.percent.textContent = 'Waiting';
    } else if (state === 'presigning') {
      this.percent.textContent = '0%';
    }
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

  // Cancelled by the user. note: what became of the file; cleanup: what became of a multipart upload's parts
  // (see abortUpload), or undefined.
  cancel(note, cleanup) {
    this.setState('cancelled');
    this.speed.textContent = '';
    this.outcome.replaceChildren();
    const summary = document.createElement('p');
    summary.className = 'result-cancelled';
    summary.textContent = note;
    this.outcome.append(summary);
    if (cleanup?.removed) {
      this.outcome.append(cleanupReport(cleanup));
    } else if (cleanup) {
      // Parts left behind are a problem to fix, as a failure is.
      const box = document.createElement('div');
      box.className = 'error';
      box.setAttribute('role', 'alert');
      box.append(cleanupReport(cleanup));
      this.outcome.append(box);
    }
  }

  // problem: { title, code, message, hint, requestId, details: [[name, value]], cleanup (see abortUpload) }
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
    if (problem.cleanup) {
      box.append(cleanupReport(problem.cleanup));
    }
    this.outcome.append(box);
  }
}

// What became of a multipart upload's parts after a failure or a cancel, in words; when they stay on the server,
// how to remove them.
function cleanupReport(cleanup) {
  const report = document.createElement('div');
  report.className = 'result-cleanup';
  const text = document.createElement('p');
  report.append(text);
  if (cleanup.removed) {
    text.textContent = 'The upload was aborted: its parts were removed from the server.';
    return report;
  }
  text.textContent = `${cleanup.why} So the parts of upload ${cleanup.uploadId} stay on the server and take space; `
    + 'restarting the server does not remove them. To remove them, presign the abort with a key that may '
    + 'oss:AbortMultipartUpload (in OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET) and run the curl line it prints:';
  const command = document.createElement('pre');
  const code = document.createElement('code');
  code.className = 'cleanup-command';
  const quote = (value) => `'${value.replaceAll("'", "'\\''")}'`;
  code.textContent = `oss-presign presign --method abort --endpoint ${window.location.origin} --path-style`
    + ` --region ${cleanup.region} --bucket ${cleanup.bucket} --object ${quote(cleanup.key)} --upload-id ${cleanup.uploadId}`;
  command.append(code);
  report.append(command);
  return report;
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
// rejects) with what happened: { cancelled: true } when signal aborted it.
function put(url, headers, body, onProgress, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ cancelled: true });
      return;
    }
    const xhr = new XMLHttpRequest();
    const started = performance.now();
    const cancel = () => xhr.abort();
    signal.addEventListener('abort', cancel);
    const settle = (result) => {
      signal.removeEventListener('abort', cancel);
      resolve(result);
    };
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) {
      xhr.setRequestHeader(name, value);
    }
    xhr.upload.addEventListener('progress', (event) => {
      onProgress(event.loaded, event.lengthComputable ? event.total : body.size);
    });
    xhr.addEventListener('load', () => settle({
      ok: xhr.status >= 200 && xhr.status < 300,
      status: xhr.status,
      statusText: xhr.statusText,
      etag: xhr.getResponseHeader('ETag'),
      requestId: xhr.getResponseHeader('x-oss-request-id'),
      body: xhr.responseText,
      elapsedMs: performance.now() - started,
    }));
    xhr.addEventListener('error', () => settle({ networkError: true }));
    xhr.addEventListener('abort', () => settle({ cancelled: true }));
    xhr.send(body);
  });
}

// Uploads one file and fills its row. signed: lower-case header name -> value, as the URL was signed.
async function uploadTo(row, url, signed, file, getUrl, signal) {
  const headers = {};
  for (const [name, value] of Object.entries(signed)) {
    headers[name] = value;
  }
  // Without a signed Content-Type, XMLHttpRequest sends the file's own type, as every browser does.
  const sent = { contentType: signed['content-type'] ?? file.type };
  const started = performance.now();
  row.setState('uploading');
  const result = await put(url, headers, file, (loaded, total) => row.progress(loaded, total, performance.now() - started), signal);
  if (result.cancelled) {
    row.cancel('Cancelled: the transfer was stopped, so the object is not stored (unless the server had already received all of it).');
  } else if (result.ok) {
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
// at a time, each retried with backoff on a network error or a 5xx, then the completion with the part list. On
// failure or cancel the upload is aborted, so that no part stays behind, and the row says whether that worked.
// target: { bucket, key, region }, for the row's instructions when the parts stay.
async function uploadParts(row, upload, file, target, signal) {
  const started = performance.now();
  const count = upload.parts.length;
  const sentByPart = new Array(count).fill(0);
  const etags = new Array(count);
  let failure = null;
  let next = 0;
  // Stops every part when the user cancels or when one part has failed for good: the upload is aborted then, and
  // parts still in flight or waiting to retry would only be wasted. (By hand: AbortSignal.any is too recent for
  // some browsers still in use.)
  const stopParts = new AbortController();
  const halt = stopParts.signal;
  const stopOnCancel = () => stopParts.abort();
  signal.addEventListener('abort', stopOnCancel);
  if (signal.aborted) {
    stopParts.abort();
  }
  row.setState('uploading');
  const report = () => row.progress(sentByPart.reduce((sum, sent) => sum + sent, 0), file.size, performance.now() - started);

  async function sendPart(index) {
    const part = upload.parts[index];
    const signed = lowerCaseKeys(part.signedHeaders);
    const start = index * upload.partSize;
    const body = file.slice(start, Math.min(start + upload.partSize, file.size));
    for (let attempt = 1; ; attempt += 1) {
      const result = await put(part.url, signed, body, (loaded) => {
        sentByPart[index] = loaded;
        report();
      }, halt);
      if (result.ok && result.etag) {
        sentByPart[index] = body.size;
        report();
        return result.etag;
      }
      if (result.cancelled) {
        throw { cancelled: true };
      }
      if (attempt >= PART_ATTEMPTS || !(result.networkError || result.status >= 500)) {
        throw { result, url: part.url, signed };
      }
      sentByPart[index] = 0;
      report();
      await sleep(retryDelayMs(attempt), halt);
      if (halt.aborted) {
        throw { cancelled: true };
      }
    }
  }

  async function worker() {
    while (failure === null && !halt.aborted && next < count) {
      const index = next;
      next += 1;
      try {
        etags[index] = await sendPart(index);
      } catch (error) {
        failure ??= error;
        stopParts.abort();
      }
    }
  }

  await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
  signal.removeEventListener('abort', stopOnCancel);
  // A cancel that comes during the completion is too late: the server is already joining the parts.
  if (failure === null && !signal.aborted) {
    const partList = `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const complete = await send('POST', upload.complete, new Blob([partList]));
    if (complete.ok) {
      row.succeed(file.size, performance.now() - started, complete.etag, upload.getUrl, '(not in the response)');
      return;
    }
    failure = { result: complete, url: upload.complete.url, signed: lowerCaseKeys(upload.complete.signedHeaders) };
  }

  const cleanup = { ...await abortUpload(upload), ...target, uploadId: upload.uploadId };
  if (signal.aborted && (failure === null || failure.cancelled)) {
    row.cancel('Cancelled: the transfer was stopped.', cleanup);
  } else {
    row.fail({ ...describeFailure(failure.result, failure.url, { contentType: '' }, failure.signed), cleanup });
  }
}

// Aborts a multipart upload through its presigned abort: { removed: true } when its parts are gone, else
// { removed: false, why } with the reason, for the row.
async function abortUpload(upload) {
  if (!upload.abort) {
    return {
      removed: false,
      why: 'The upload could not be aborted: the server gave no abort URL, because none of its access keys may oss:AbortMultipartUpload this object.',
    };
  }
  const result = await send('DELETE', upload.abort, null);
  const error = decodeOssError(result.body);
  // NoSuchUpload: nothing of it is left (it was aborted already).
  if (result.ok || error?.code === 'NoSuchUpload') {
    return { removed: true };
  }
  if (result.networkError) {
    return { removed: false, why: 'The upload could not be aborted: the server did not answer the abort (is it running?).' };
  }
  const reason = error ? `${error.code}: ${error.message}` : (result.statusText || 'no OSS error body');
  return { removed: false, why: `The upload could not be aborted: the abort was refused (HTTP ${result.status} ${reason}).` };
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

  const rows = files.map((file) => new UploadRow(file.name, `${bucket}/${prefix}${file.name}`));
  for (const row of rows) {
    row.setState('waiting');
  }
  UploadRow.show(rows);
  const batch = new Batch(byId('upload-button'), byId('upload-cancel'));
  batch.start();
  try {
    // One at a time, so that each row's speed is the speed of that file.
    for (const [index, file] of files.entries()) {
      const row = rows[index];
      if (batch.signal.aborted) {
        row.cancel('Cancelled before it started: nothing was sent.');
        continue;
      }
      const key = prefix + file.name;
      row.setState('presigning');
      const multipart = file.size > multipartAbove ? { size: file.size, partSize } : undefined;
      // Not cancelled half-way: the server may have initiated a multipart upload, which only its answer can abort.
      const { presigned, problem } = await presign(bucket, key, file.type, ttl, multipart);
      if (problem) {
        row.fail(problem);
      } else if (multipart) {
        batch.multipart = presigned;
        await uploadParts(row, presigned, file, { bucket, key, region: bucketRegions.get(bucket) ?? 'REGION' }, batch.signal);
        batch.multipart = null;
      } else {
        await uploadTo(row, presigned.url, lowerCaseKeys(presigned.signedHeaders), file, presigned.getUrl, batch.signal);
      }
    }
  } finally {
    batch.end();
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

  const row = new UploadRow(file.name, `${url.origin}${url.pathname}`);
  UploadRow.show([row]);
  const batch = new Batch(byId('paste-button'), byId('paste-cancel'));
  batch.start();
  try {
    await uploadTo(row, url.href, signed, file, null, batch.signal);
  } finally {
    batch.end();
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

// Bucket name -> region, from api/status: the abort command a row may print needs the region.
const bucketRegions = new Map();

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
    bucketRegions.set(bucket.name, bucket.region);
    const option = document.createElement('option');
    option.value = bucket.name;
    option.textContent = `${bucket.name} (${bucket.region})`;
    select.append(option);
  }
  status.textContent = answer.buckets.length === 0
    ? 'The server presigns uploads, but it has no bucket yet.'
    : 'The server presigns each upload with the file\'s Content-Type signed.';
}

// Leaving the page stops its uploads, and would leave a multipart upload's parts on the server: ask first.
window.addEventListener('beforeunload', (event) => {
  if (batches.size > 0) {
    event.preventDefault();
    // Chromium before 119 asks only when returnValue is set.
    event.returnValue = '';
  }
});

// The user left anyway: abort the multipart uploads under way, with requests that outlive the page (keepalive). The
// page cannot tell whether they worked; the server's list of uploads in progress can.
window.addEventListener('pagehide', (event) => {
  // A page kept in the back-forward cache may come back and go on uploading.
  if (event.persisted) {
    return;
  }
  for (const batch of batches) {
    const abort = batch.multipart?.abort;
    if (abort) {
      fetch(abort.url, { method: 'DELETE', headers: abort.signedHeaders, keepalive: true }).catch(() => {});
    }
  }
});

document.addEventListener('DOMContentLoaded', () => {
  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener('change', () => showMode(radio.value));
  }
  byId('upload-form').addEventListener('submit', onUpload);
  byId('paste-form').addEventListener('submit', onPaste);
  wireDropZone();
  loadStatus();
});
