// deckpipe's upload page: pick or drop decks, upload each with real progress, follow its
// conversion, offer the PDF. Plain ES module: no framework, no build step, no inline code
// (the page is served under a Content-Security-Policy without 'unsafe-inline').

const STORE_KEY = "deckpipe.jobs.v1";
const DECK_SUFFIXES = [".pptx", ".pptm", ".ppsx", ".potx", ".potm"];
const PARALLEL_UPLOADS = 3;
const REQUEST_TIMEOUT_MS = 15000;
const MAX_DELAY_MS = 30000;
const HIDDEN_TAB_DELAY_MS = 10000;
const FINAL = new Set(["done", "failed", "rejected", "lost"]);
// Direct uploads (deckpipe.direct): chunks to the storage session, a multiple of 256 KiB.
const DIRECT_CHUNK_BYTES = 8 * 1024 * 1024;
const DIRECT_CHUNK_TIMEOUT_MS = 120000;
const RESUME_ATTEMPTS = 8;

// Server error codes in plain words. Anything else shows the server's own message.
const PLAIN_WORDS = {
  encrypted: () => "This deck is password-protected. Remove the password in PowerPoint and upload it again.",
  not_a_presentation: () => "This file is not a PowerPoint presentation.",
  legacy_format: () => "This is an old PowerPoint file (.ppt). Save it as .pptx and upload it again.",
  corrupt_deck: () => "This file is damaged and cannot be opened as a presentation.",
  too_complex: () => "This deck is too large or too complex to convert.",
  too_large: (config) => `The file is larger than ${formatBytes(config.maxUploadBytes)}.`,
  no_file: () => "The file is empty.",
  input_missing: () => "The uploaded deck was deleted before it could be converted. Upload it again.",
  expired: () => "The conversion did not start in time. Please try again.",
  delivery_failed: () => "The conversion kept failing and was stopped. Please try again later.",
  too_many_attempts: () => "The conversion kept failing and was stopped. Please try again later.",
  enqueue_failed: () => "The service could not queue the conversion. Please try again.",
  unavailable: () => "The service is busy right now. Please try again in a moment.",
  upload_expired: () => "The upload took too long and its link expired. Please try again.",
  upload_incomplete: () => "The upload did not finish. Please try again.",
};
const RETRYABLE_CODES = new Set([
  "expired", "delivery_failed", "too_many_attempts", "enqueue_failed", "unavailable", "network",
  "upload_expired", "upload_incomplete",
]);

const $ = (selector, root = document) => root.querySelector(selector);

const page = {
  config: { uploadUrl: ".", maxUploadBytes: 100 * 1024 * 1024, pollIntervalSeconds: 2 },
  jobs: new Map(), // key -> job (plain data, persisted when it has a job id)
  files: new Map(), // key -> File, kept in memory for "Try again"
  cards: new Map(), // key -> card elements
  wakers: new Set(), // resolvers of pollers' pauses, called to poll at once
  uploadSlots: PARALLEL_UPLOADS,
  uploadQueue: [],
};

// --- start ------------------------------------------------------------------------------

async function start() {
  page.config = { ...page.config, ...(await loadConfig()) };
  $("#limit").textContent = formatBytes(page.config.maxUploadBytes);
  wirePicker();
  $("#clear-finished").addEventListener("click", clearFinished);
  document.addEventListener("visibilitychange", () => !document.hidden && wakePollers());
  window.addEventListener("online", wakePollers);
  window.addEventListener("storage", (event) => event.key === STORE_KEY && restoreJobs());
  restoreJobs();
  document.documentElement.dataset.ready = "true";
}

async function loadConfig() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    if (response.ok) return await response.json();
  } catch {
    // fall through: the defaults suit a page served by the upload function itself
  }
  return {};
}

function wirePicker() {
  const input = $("#file-input");
  input.addEventListener("change", () => {
    addFiles(input.files);
    input.value = ""; // choosing the same file again must fire "change" again
  });
  const zone = document.body; // the whole page accepts a drop
  let depth = 0;
  zone.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth += 1;
    document.body.classList.add("dragging");
  });
  zone.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  zone.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) document.body.classList.remove("dragging");
  });
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    depth = 0;
    document.body.classList.remove("dragging");
    if (event.dataTransfer?.files?.length) addFiles(event.dataTransfer.files);
  });
}

function hasFiles(event) {
  return Array.from(event.dataTransfer?.types ?? []).includes("Files");
}

// --- adding files -----------------------------------------------------------------------

function addFiles(fileList) {
  const files = Array.from(fileList ?? []);
  const names = [];
  for (const file of files) {
    const job = {
      key: newKey(),
      name: file.name,
      size: file.size,
      state: "waiting",
      uploaded: 0,
      idempotencyKey: newKey(),
      addedAt: Date.now(),
    };
    page.jobs.set(job.key, job);
    page.files.set(job.key, file);
    const problem = checkFile(file);
    if (problem) {
      Object.assign(job, { state: "rejected", error: problem });
      announce(`${job.name}: not uploaded. ${problem.message}`);
    } else {
      names.push(job.name);
      queueUpload(job);
    }
    render(job);
  }
  if (names.length) announce(`Uploading ${names.join(", ")}.`);
  save();
}

function checkFile(file) {
  const name = file.name.toLowerCase();
  if (name.endsWith(".ppt") || name.endsWith(".pps") || name.endsWith(".pot")) {
    return { code: "legacy_format", message: PLAIN_WORDS.legacy_format() };
  }
  if (!DECK_SUFFIXES.some((suffix) => name.endsWith(suffix))) {
    return {
      code: "not_a_presentation",
      message: "This file is not a PowerPoint presentation (.pptx).",
    };
  }
  if (file.size === 0) return { code: "no_file", message: "The file is empty." };
  if (file.size > page.config.maxUploadBytes) {
    return { code: "too_large", message: PLAIN_WORDS.too_large(page.config) };
  }
  return null;
}

// --- uploading --------------------------------------------------------------------------

function queueUpload(job) {
  Object.assign(job, { state: "waiting", uploaded: 0, error: null });
  page.uploadQueue.push(job);
  pumpUploads();
}

function pumpUploads() {
  while (page.uploadSlots > 0 && page.uploadQueue.length) {
    const job = page.uploadQueue.shift();
    if (!page.jobs.has(job.key)) continue;
    page.uploadSlots -= 1;
    upload(job).finally(() => {
      page.uploadSlots += 1;
      pumpUploads();
    });
  }
}

function upload(job) {
  const threshold = page.config.directUploadBytes;
  if (Number.isFinite(threshold) && job.size >= threshold) return uploadDirect(job);
  return uploadThroughFunction(job);
}

function uploadThroughFunction(job) {
  return new Promise((resolve) => {
    const file = page.files.get(job.key);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", new URL(page.config.uploadUrl || ".", document.baseURI));
    xhr.setRequestHeader("Idempotency-Key", job.idempotencyKey);
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      job.uploaded = event.loaded / event.total;
      render(job);
    });
    xhr.addEventListener("load", () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status === 202 || xhr.status === 200) {
        Object.assign(job, {
          jobId: body.job_id,
          statusUrl: body.status_url,
          resultUrl: body.result_url,
          state: "queued",
          uploaded: 1,
        });
        announce(`${job.name}: uploaded, waiting to be converted.`);
        save();
        follow(job);
      } else {
        uploadFailed(job, errorFrom(body, xhr.status));
      }
      render(job);
      resolve();
    });
    for (const type of ["error", "timeout"]) {
      xhr.addEventListener(type, () => {
        uploadFailed(job, {
          code: "network",
          message: "The upload was interrupted. Check your connection and try again.",
        });
        render(job);
        resolve();
      });
    }
    xhr.addEventListener("abort", () => resolve());
    job.state = "uploading";
    render(job);
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

// A large deck goes straight to storage: announce it (the server checks name, size and type
// and creates the job), send the bytes to the upload target in chunks with real byte
// progress, resuming after a network cut from the offset storage reports, then complete.
async function uploadDirect(job) {
  const file = page.files.get(job.key);
  job.state = "uploading";
  render(job);
  try {
    const offer = await postJson(new URL(page.config.uploadUrl || ".", document.baseURI), {
      filename: file.name, size: file.size, type: file.type,
    }, { "Idempotency-Key": job.idempotencyKey });
    if (offer.status !== 201 && offer.status !== 200) {
      uploadFailed(job, errorFrom(offer.body, offer.status));
      return;
    }
    const links = offer.body;
    if (links.upload) await sendToStorage(job, file, links.upload);
    if (!page.jobs.has(job.key)) return;
    const done = await completeUpload(links.complete_url);
    if (done.status !== 202) {
      uploadFailed(job, errorFrom(done.body, done.status));
      return;
    }
    Object.assign(job, {
      jobId: links.job_id, statusUrl: links.status_url, resultUrl: links.result_url,
      state: done.body.state || "queued", uploaded: 1,
    });
    announce(`${job.name}: uploaded, waiting to be converted.`);
    save();
    follow(job);
  } catch (error) {
    uploadFailed(job, error.code ? error : {
      code: "network",
      message: "The upload was interrupted. Check your connection and try again.",
    });
  } finally {
    render(job);
  }
}

async function sendToStorage(job, file, target) {
  if (target.protocol === "s3-post") return postFormToStorage(job, file, target);
  let offset = 0;
  let failures = 0;
  while (offset < file.size) {
    const end = Math.min(offset + DIRECT_CHUNK_BYTES, file.size);
    const answer = await putChunk(target, file.slice(offset, end),
      `bytes ${offset}-${end - 1}/${file.size}`, (loaded) => {
        job.uploaded = (offset + loaded) / file.size;
        render(job);
      });
    if (answer.status === 200 || answer.status === 201) return;
    if (answer.status === 308) {
      offset = persistedEnd(answer, end);
      failures = 0;
      continue;
    }
    if (answer.status !== 0 && answer.status < 500) {
      throw { code: "upload_incomplete", message: PLAIN_WORDS.upload_incomplete() };
    }
    // A network cut or a storage hiccup: wait, ask storage how much it has, carry on.
    failures += 1;
    if (failures > RESUME_ATTEMPTS || !page.jobs.has(job.key)) {
      throw { code: "network", message: "The upload was interrupted. Check your connection and try again." };
    }
    job.reconnecting = true;
    render(job);
    await pause(backoff(failures));
    const probe = await putChunk(target, null, `bytes */${file.size}`);
    if (probe.status === 200 || probe.status === 201) offset = file.size;
    else if (probe.status === 308) offset = persistedEnd(probe, 0);
    job.reconnecting = false;
    job.uploaded = offset / file.size;
    render(job);
  }
}

// A presigned POST (S3): one form, its signed fields first, the file last. It cannot resume;
// a cut is retried from the start a few times.
async function postFormToStorage(job, file, target) {
  for (let attempt = 1; ; attempt += 1) {
    const status = await new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", target.url);
      xhr.timeout = DIRECT_CHUNK_TIMEOUT_MS * 10;
      xhr.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable) return;
        job.uploaded = event.loaded / event.total;
        render(job);
      });
      xhr.addEventListener("load", () => resolve(xhr.status));
      for (const type of ["error", "timeout", "abort"]) {
        xhr.addEventListener(type, () => resolve(0));
      }
      const form = new FormData();
      for (const [name, value] of Object.entries(target.fields || {})) form.append(name, value);
      form.append("file", file, file.name);
      xhr.send(form);
    });
    if (status >= 200 && status < 300) return;
    if ((status !== 0 && status < 500) || attempt > 3 || !page.jobs.has(job.key)) {
      throw { code: "upload_incomplete", message: PLAIN_WORDS.upload_incomplete() };
    }
    await pause(backoff(attempt));
  }
}

// What storage has kept, from a 308's Range ("bytes=0-N"); where it cannot be read (not
// exposed to the page) every byte sent so far counts as kept.
function persistedEnd(answer, fallback) {
  const match = /bytes=0-(\d+)/.exec(answer.range || "");
  return match ? Number(match[1]) + 1 : fallback;
}

function putChunk(target, body, contentRange, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method || "PUT", target.url);
    xhr.timeout = DIRECT_CHUNK_TIMEOUT_MS;
    for (const [name, value] of Object.entries(target.headers || {})) {
      xhr.setRequestHeader(name, value);
    }
    xhr.setRequestHeader("Content-Range", contentRange);
    if (onProgress) {
      xhr.upload.addEventListener("progress", (event) => onProgress(event.loaded));
    }
    xhr.addEventListener("load", () => {
      // Read Range only where storage exposes it (asking otherwise logs a console error).
      const exposed = /^range:/im.test(xhr.getAllResponseHeaders());
      resolve({ status: xhr.status, range: exposed ? xhr.getResponseHeader("Range") : null });
    });
    for (const type of ["error", "timeout", "abort"]) {
      xhr.addEventListener(type, () => resolve({ status: 0 }));
    }
    xhr.send(body);
  });
}

async function completeUpload(url) {
  // The object may need a moment to show; "upload_incomplete" is worth a few more asks.
  for (let attempt = 0; ; attempt += 1) {
    const answer = await postJson(url, null, {});
    if (answer.body?.error?.code !== "upload_incomplete" || attempt >= 5) return answer;
    await pause(1000);
  }
}

async function postJson(url, data, headers) {
  const init = { method: "POST", cache: "no-store", headers: { ...headers } };
  if (data !== null) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(data);
  }
  const response = await fetch(url, init);
  return { status: response.status, body: parseJson(await response.text()) };
}

function uploadFailed(job, error) {
  Object.assign(job, { state: "failed", error });
  announce(`${job.name}: upload failed. ${error.message}`);
  save();
}

function errorFrom(body, status) {
  const code = body?.error?.code ?? (status >= 500 ? "unavailable" : "failed");
  const words = PLAIN_WORDS[code];
  const message = words ? words(page.config) : body?.error?.message || `The server answered ${status}.`;
  return { code, message };
}

// --- following a job --------------------------------------------------------------------

// One loop per job, one request in flight at a time: the next request is scheduled only
// after the previous one has finished, so a slow server never sees requests pile up.
async function follow(job) {
  if (job.following) return;
  job.following = true;
  let delay = 0;
  let failures = 0;
  try {
    while (page.jobs.has(job.key) && (!FINAL.has(job.state) || job.verify)) {
      await pause(delay);
      if (!page.jobs.has(job.key)) return;
      const began = performance.now();
      try {
        const response = await fetchWithTimeout(job.statusUrl);
        if (response.status === 404) {
          Object.assign(job, { state: "lost", error: { code: "not_found", message:
            "This job is no longer on the server. Upload the deck again." } });
        } else if (!response.ok) {
          throw Object.assign(new Error(`HTTP ${response.status}`),
            { retryAfter: retryAfterMs(response) });
        } else {
          applyStatus(job, await response.json());
        }
        job.verify = false;
        failures = 0;
        job.reconnecting = false;
        // A slow answer means a busy server: ask less often, never more often than the interval.
        delay = Math.min(MAX_DELAY_MS, Math.max(pollMs(), 4 * (performance.now() - began)));
      } catch (error) {
        failures += 1;
        job.reconnecting = true;
        delay = Math.max(backoff(failures), error.retryAfter ?? 0);
      }
      if (document.hidden) delay = Math.max(delay, HIDDEN_TAB_DELAY_MS);
      render(job);
      save();
    }
  } finally {
    job.following = false;
  }
}

function applyStatus(job, body) {
  const before = job.state;
  job.state = body.state;
  job.done = body.progress?.done ?? 0;
  job.total = body.progress?.total ?? 0;
  if (body.state === "done") {
    job.resultUrl = body.result_url || job.resultUrl;
    job.pages = body.result?.pages;
    job.pdfBytes = body.result?.bytes;
    if (before !== "done") announce(`${job.name}: the PDF is ready to download.`);
  } else if (body.state === "failed") {
    job.error = errorFrom(body, 200);
    if (before !== "failed") announce(`${job.name}: conversion failed. ${job.error.message}`);
  } else if (body.state === "processing" && before !== "processing") {
    announce(`${job.name}: converting.`);
  }
}

function pollMs() {
  return Math.max(0.2, Number(page.config.pollIntervalSeconds) || 2) * 1000;
}

function backoff(failures) {
  const base = Math.min(MAX_DELAY_MS, pollMs() * 2 ** failures);
  return base * (0.8 + Math.random() * 0.4);
}

function retryAfterMs(response) {
  const seconds = Number(response.headers.get("Retry-After"));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

async function fetchWithTimeout(url) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    return await fetch(url, { cache: "no-store", signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

function pause(ms) {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      page.wakers.delete(wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    page.wakers.add(wake);
  });
}

function wakePollers() {
  for (const wake of Array.from(page.wakers)) wake();
}

// --- persistence ------------------------------------------------------------------------

const PERSISTED = ["key", "name", "size", "jobId", "statusUrl", "resultUrl", "state", "done",
  "total", "pages", "pdfBytes", "error", "addedAt"];

function save() {
  const kept = [];
  for (const job of page.jobs.values()) {
    if (!job.jobId) continue; // an upload cannot be resumed after a reload
    kept.push(Object.fromEntries(PERSISTED.map((field) => [field, job[field]])));
  }
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(kept));
  } catch {
    // private mode or full storage: the page still works, it just forgets on reload
  }
}

function restoreJobs() {
  let stored = [];
  try {
    stored = JSON.parse(localStorage.getItem(STORE_KEY) || "[]");
  } catch {
    stored = [];
  }
  const storedKeys = new Set();
  for (const saved of Array.isArray(stored) ? stored : []) {
    if (!saved?.key || !saved.statusUrl) continue;
    storedKeys.add(saved.key);
    if (page.jobs.has(saved.key)) continue;
    const job = { ...saved, verify: true }; // check once even if it had finished
    page.jobs.set(job.key, job);
    render(job);
    follow(job);
  }
  // Removed in another tab: drop it here too, unless it is this tab's own upload.
  for (const job of Array.from(page.jobs.values())) {
    if (job.jobId && !storedKeys.has(job.key) && !page.files.has(job.key)) dropJob(job);
  }
}

// --- removing ---------------------------------------------------------------------------

function removeJob(job) {
  const root = page.cards.get(job.key)?.root;
  const next = root?.nextElementSibling ?? root?.previousElementSibling;
  dropJob(job);
  save();
  announce(`${job.name} removed from the list.`);
  (next ? $(".remove", next) : $("#decks-heading")).focus();
}

function dropJob(job) {
  page.jobs.delete(job.key);
  page.files.delete(job.key);
  page.cards.get(job.key)?.root.remove();
  page.cards.delete(job.key);
  updateLists();
  wakePollers(); // a pausing poller for this job notices and ends
}

function clearFinished() {
  const finished = Array.from(page.jobs.values()).filter((job) => FINAL.has(job.state));
  for (const job of finished) dropJob(job);
  save();
  announce(`${finished.length} finished ${finished.length === 1 ? "deck" : "decks"} cleared.`);
  $("#decks-heading").focus();
}

// --- drawing ----------------------------------------------------------------------------

function cardFor(job) {
  let card = page.cards.get(job.key);
  if (card) return card;
  const root = $("#card-template").content.firstElementChild.cloneNode(true);
  card = {
    root,
    uploadStage: $(".upload-stage", root),
    uploadBar: $(".upload-progress", root),
    uploadValue: $(".upload-value", root),
    convertStage: $(".convert-stage", root),
    convertBar: $(".convert-progress", root),
    convertValue: $(".convert-value", root),
    statusLine: $(".status-line", root),
    errorLine: $(".error-line", root),
    download: $(".download", root),
    retry: $(".retry", root),
  };
  const id = `card-${job.key}`;
  $(".card-title", root).id = id;
  root.setAttribute("aria-labelledby", id);
  $(".file-name", root).textContent = job.name;
  $(".file-size", root).textContent = formatBytes(job.size);
  $(".remove", root).setAttribute("aria-label", `Remove ${job.name} from the list`);
  card.uploadBar.setAttribute("aria-label", `Upload of ${job.name}`);
  card.convertBar.setAttribute("aria-label", `Conversion of ${job.name}`);
  card.download.setAttribute("aria-label", `Download PDF of ${job.name}`);
  $(".remove", root).addEventListener("click", () => removeJob(job));
  card.retry.addEventListener("click", () => {
    const current = page.jobs.get(job.key);
    if (!current) return;
    // The same key again if the server never confirmed the upload (it may have kept it),
    // a new one if it made a job: that job failed, and a retry must be a new job.
    const idempotencyKey = current.jobId ? newKey() : current.idempotencyKey;
    Object.assign(current, { jobId: undefined, statusUrl: undefined, idempotencyKey });
    queueUpload(current);
    render(current);
    save();
  });
  page.cards.set(job.key, card);
  $("#cards").prepend(root);
  updateLists();
  return card;
}

function render(job) {
  if (!page.jobs.has(job.key)) return;
  const card = cardFor(job);
  const { root } = card;
  root.dataset.state = job.state;
  root.dataset.jobId = job.jobId ?? "";
  root.classList.toggle("reconnecting", Boolean(job.reconnecting));

  card.uploadStage.hidden = job.state === "rejected";
  const uploadedPercent = job.jobId ? 100 : Math.floor((job.uploaded ?? 0) * 100);
  card.uploadBar.value = uploadedPercent;
  card.uploadValue.textContent = `${uploadedPercent} %`;

  const converting = Boolean(job.jobId);
  card.convertStage.hidden = !converting;
  if (converting) {
    if (job.state === "done") {
      card.convertBar.max = 1;
      card.convertBar.value = 1;
      card.convertValue.textContent = "100 %";
    } else if (job.total > 0) {
      card.convertBar.max = job.total;
      card.convertBar.value = job.done;
      card.convertValue.textContent = `${Math.floor((100 * job.done) / job.total)} %`;
    } else {
      card.convertBar.removeAttribute("value"); // indeterminate until the deck is opened
      card.convertValue.textContent = "";
    }
  }

  card.statusLine.textContent = statusText(job);
  const failed = job.state === "failed" || job.state === "rejected" || job.state === "lost";
  card.errorLine.hidden = !failed;
  card.errorLine.textContent = failed ? job.error?.message ?? "The conversion failed." : "";

  const ready = job.state === "done" && Boolean(job.resultUrl);
  card.download.hidden = !ready;
  if (ready) {
    card.download.href = job.resultUrl;
    card.download.download = pdfName(job.name);
  }
  card.retry.hidden = !(failed && page.files.has(job.key) && RETRYABLE_CODES.has(job.error?.code));
  updateLists();
}

function statusText(job) {
  if (job.reconnecting && !FINAL.has(job.state)) {
    return "Reconnecting… the server is not answering; retrying automatically.";
  }
  switch (job.state) {
    case "waiting": return "Waiting to upload…";
    case "uploading": return `Uploading… ${Math.floor((job.uploaded ?? 0) * 100)} %`;
    case "queued": return "Uploaded. Waiting for a converter…";
    case "processing":
      return job.total > 0
        ? `Rendering slide ${Math.min(job.done + 1, job.total)} of ${job.total}`
        : "Opening the deck…";
    case "done": {
      const pages = job.pages ?? job.total;
      const size = job.pdfBytes ? `, ${formatBytes(job.pdfBytes)}` : "";
      return `Done: ${pages} ${pages === 1 ? "page" : "pages"}${size}.`;
    }
    case "rejected": return "Not uploaded.";
    case "lost": return "Not found on the server.";
    case "failed": return job.jobId ? "Conversion failed." : "Upload failed.";
    default: return "";
  }
}

function updateLists() {
  const jobs = Array.from(page.jobs.values());
  $("#empty").hidden = jobs.length > 0;
  $("#clear-finished").hidden = !jobs.some((job) => FINAL.has(job.state));
}

// --- small helpers ----------------------------------------------------------------------

function announce(text) {
  const region = $("#announcer");
  region.textContent = "";
  // A fresh text node in a later task makes screen readers read the same words again.
  setTimeout(() => { region.textContent = text; }, 50);
}

function pdfName(name) {
  return `${name.replace(/\.(pptx|pptm|ppsx|potx|potm)$/i, "")}.pdf`;
}

function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "";
  const units = [["GiB", 2 ** 30], ["MiB", 2 ** 20], ["KiB", 2 ** 10]];
  for (const [unit, size] of units) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function newKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

start();
