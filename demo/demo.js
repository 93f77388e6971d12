// The demo page: photos in, faces boxed and grouped by person. The pipeline
// runs in a Web Worker (pipeline-worker.js) on the package as built (dist/);
// this thread only draws.
import { chineseWhispers, descriptorDistance, SAME_PERSON_THRESHOLD } from '../dist/index.js';

/** Webcam frames are downscaled to this width before detection: live boxes rather than every small face. */
const FRAME_WIDTH = 320;
const SVG = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL('./pipeline-worker.js', import.meta.url), { type: 'module' });
/** Every face so far: { number, photo, group, chip, descriptor }. */
const faces = [];
/** The photos' object URLs, revoked when cleared. */
const photoUrls = [];
/** Faces remembered from the webcam: { name, descriptor }. */
const known = [];
let backendLine = '';
let nextRequest = 0;
const pending = new Map();

worker.onmessage = ({ data: { id, result, error, progress } }) => {
  const request = pending.get(id);
  if (progress !== undefined) return request.onProgress?.(progress);
  pending.delete(id);
  if (error !== undefined) request.reject(new Error(error));
  else request.resolve(result);
};

/** Asks the worker; resolves to its answer. */
function ask(type, payload = {}, { transfer = [], onProgress } = {}) {
  const id = nextRequest++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, type, ...payload }, transfer);
  });
}

function describeBackend({ backend: { threads, simd, relaxedSimd }, crossOriginIsolated }) {
  const features = [simd && 'SIMD', relaxedSimd && 'relaxed SIMD'].filter(Boolean).join(', ');
  const why = threads === 1 && !crossOriginIsolated ? ' (the page is not cross-origin isolated: no SharedArrayBuffer)' : '';
  return `${threads} thread${threads === 1 ? '' : 's'}${why}, ${features}`;
}

const upsample = () => Number($('upsample').value);

function svgElement(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A face's box, landmarks and label, in the coordinates of its image. */
function faceMarks({ rect, landmarks }, label, scale) {
  const group = svgElement('g', { class: 'face', 'data-rect': [rect.left, rect.top, rect.right, rect.bottom].join(',') });
  const width = rect.right - rect.left + 1;
  group.append(svgElement('rect', { x: rect.left, y: rect.top, width, height: rect.bottom - rect.top + 1 }));
  for (const [x, y] of landmarks) group.append(svgElement('circle', { cx: x, cy: y, r: scale * 2.5 }));
  group.append(svgElement('text', { x: rect.left, y: rect.top - scale * 4, 'font-size': scale * 22 }, label));
  return group;
}

function chipCanvas(face) {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 150;
  canvas.getContext('2d').putImageData(new ImageData(face.chip, 150, 150), 0, 0);
  canvas.title = `face ${face.number} in ${face.photo}`;
  canvas.dataset.face = String(face.number);
  canvas.dataset.descriptor = Array.from(face.descriptor).join(',');
  canvas.addEventListener('mouseenter', () => face.group.classList.add('highlight'));
  canvas.addEventListener('mouseleave', () => face.group.classList.remove('highlight'));
  const item = document.createElement('figure');
  const caption = document.createElement('figcaption');
  caption.textContent = String(face.number);
  item.append(canvas, caption);
  return item;
}

function renderPeople() {
  $('results').hidden = faces.length === 0;
  $('clear').disabled = faces.length === 0;
  if (faces.length === 0) return $('people').replaceChildren();
  const { labels, clusterCount } = chineseWhispers({ descriptors: faces.map((face) => face.descriptor) });
  $('people').replaceChildren(
    ...Array.from({ length: clusterCount }, (_, person) => {
      const item = document.createElement('li');
      const members = faces.filter((_, i) => labels[i] === person);
      const label = document.createElement('span');
      label.className = 'person';
      label.textContent = `Person ${person + 1}: ${members.length} face${members.length === 1 ? '' : 's'}`;
      item.append(label, ...members.map(chipCanvas));
      return item;
    }),
  );
}

const ms = (value) => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;

function showTimings(name, { width, height, faces: found, timings }) {
  const stages = Object.entries(timings).map(([stage, value]) => `${stage} ${ms(value)}`);
  $('timings').textContent =
    `${name} (${width}×${height}, ${found.length} face${found.length === 1 ? '' : 's'}): ${stages.join(', ')}, on ${backendLine}.`;
}

async function addPhoto(file) {
  $('progress').textContent = `${file.name}: decoding…`;
  const result = await ask(
    'photo',
    { file, upsample: upsample() },
    { onProgress: (text) => ($('progress').textContent = `${file.name}: ${text}`) },
  );
  const figure = document.createElement('figure');
  figure.className = 'photo';
  const image = document.createElement('img');
  image.src = URL.createObjectURL(file);
  photoUrls.push(image.src);
  image.alt = file.name;
  const overlay = svgElement('svg', {
    class: 'overlay',
    role: 'img',
    'aria-label': `The faces in ${file.name}`,
    viewBox: `0 0 ${result.width} ${result.height}`,
  });
  const scale = Math.max(result.width, result.height) / 800;
  for (const found of result.faces) {
    const face = { ...found, number: faces.length + 1, photo: file.name };
    face.group = faceMarks(found, String(face.number), scale);
    face.group.dataset.face = String(face.number);
    overlay.append(face.group);
    faces.push(face);
  }
  const caption = document.createElement('figcaption');
  caption.textContent = `${file.name}: ${result.faces.length} face${result.faces.length === 1 ? '' : 's'}`;
  figure.append(image, overlay, caption);
  $('photos').prepend(figure);
  showTimings(file.name, result);
  renderPeople();
}

async function addPhotos(files) {
  for (const file of files) {
    try {
      await addPhoto(file);
    } catch (error) {
      const item = document.createElement('li');
      item.textContent = `${file.name}: ${error.message}`;
      $('problems').append(item);
    }
  }
  $('progress').textContent = '';
}

/** The nearest remembered face within the same-person distance, if any. */
function nameOf(descriptor) {
  let best;
  for (const person of known) {
    const distance = descriptorDistance(descriptor, person.descriptor);
    if (distance < SAME_PERSON_THRESHOLD && (!best || distance < best.distance)) best = { name: person.name, distance };
  }
  return best?.name;
}

const area = ({ rect }) => (rect.right - rect.left + 1) * (rect.bottom - rect.top + 1);

/** Detects faces in the webcam's frames, one frame after another, for as long as the stream lives. */
async function watch(video, stream) {
  const live = $('live');
  let lastFrame = [];
  $('remember').onclick = () => {
    const largest = lastFrame.reduce((a, b) => (area(b) > area(a) ? b : a), lastFrame[0]);
    if (!largest) return;
    known.push({ name: $('name').value.trim() || `Person ${known.length + 1}`, descriptor: largest.descriptor });
    $('name').value = '';
    $('known').textContent = `Known: ${known.map((person) => person.name).join(', ')}`;
  };
  while (stream.active) {
    const height = Math.round((video.videoHeight * FRAME_WIDTH) / video.videoWidth);
    const bitmap = await createImageBitmap(video, { resizeWidth: FRAME_WIDTH, resizeHeight: height, resizeQuality: 'medium' });
    const frame = await ask('frame', { bitmap, upsample: upsample() }, { transfer: [bitmap] });
    lastFrame = frame.faces;
    live.setAttribute('viewBox', `0 0 ${frame.width} ${frame.height}`);
    live.replaceChildren(...frame.faces.map((face) => faceMarks(face, nameOf(face.descriptor) ?? '', frame.width / 800)));
  }
}

let webcamStream;

async function toggleWebcam() {
  const button = $('webcam');
  if (webcamStream) {
    for (const track of webcamStream.getTracks()) track.stop();
    return;
  }
  button.disabled = true;
  try {
    webcamStream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    const video = $('video');
    video.srcObject = webcamStream;
    await video.play();
    $('camera').hidden = false;
    button.textContent = 'stop the webcam';
    button.disabled = false;
    await watch(video, webcamStream);
  } catch (error) {
    const item = document.createElement('li');
    item.textContent = `webcam: ${error.message}`;
    $('problems').append(item);
  }
  webcamStream = undefined;
  $('camera').hidden = true;
  button.textContent = 'the webcam';
  button.disabled = false;
}

async function exampleFile(button) {
  const url = button.dataset.url;
  return new File([await (await fetch(url)).blob()], url.slice(url.lastIndexOf('/') + 1), { type: 'image/jpeg' });
}

async function chooseLandmarks() {
  const select = $('landmarks');
  const picker = $('landmarks-file');
  if (select.value === 'bundled') {
    await ask('useLandmarks', { file: null });
    return;
  }
  picker.value = '';
  picker.click();
}

function wire() {
  $('files').addEventListener('change', async (event) => {
    await addPhotos([...event.target.files]);
    event.target.value = '';
  });
  for (const button of document.querySelectorAll('button.example')) {
    button.addEventListener('click', async () => addPhotos([await exampleFile(button)]));
  }
  $('clear').addEventListener('click', () => {
    for (const url of photoUrls.splice(0)) URL.revokeObjectURL(url);
    faces.length = 0;
    $('photos').replaceChildren();
    $('problems').replaceChildren();
    $('timings').textContent = '';
    renderPeople();
  });
  $('landmarks').addEventListener('change', () => void chooseLandmarks());
  // No file picked: the bundled model stays, and the menu says so.
  $('landmarks-file').addEventListener('cancel', () => ($('landmarks').value = 'bundled'));
  $('landmarks-file').addEventListener('change', async (event) => {
    const [file] = event.target.files;
    if (!file) return;
    try {
      await ask('useLandmarks', { file });
      $('landmarks').options[1].textContent = file.name;
    } catch (error) {
      $('landmarks').value = 'bundled';
      await ask('useLandmarks', { file: null });
      const item = document.createElement('li');
      item.textContent = `${file.name}: ${error.message}`;
      $('problems').append(item);
    }
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    void addPhotos([...event.dataTransfer.files]);
  });
  if (navigator.mediaDevices?.getUserMedia) {
    $('webcam').hidden = false;
    $('webcam').addEventListener('click', () => void toggleWebcam());
  }
  for (const element of document.querySelectorAll('#files, button.example, #webcam')) element.disabled = false;
}

try {
  backendLine = describeBackend(await ask('load'));
  $('status').textContent = `Models loaded: ${backendLine}.`;
  wire();
} catch (error) {
  $('status').textContent = `The models could not load: ${error.message}`;
}
