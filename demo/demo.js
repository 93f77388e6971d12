// The demo page: the package as built (dist/), the bundled model fetched and
// handed over as a Response, chips decoded by the browser.
import { chineseWhispers, descriptorDistance, FACE_CHIP_SIZE, loadFaceRecognitionModel, SAME_PERSON_THRESHOLD } from '../dist/index.js';

const MODEL_URL = '../models/dlib_face_recognition_resnet_model_v1.dat';
const EXAMPLES_URL = '../examples/chips/';

const $ = (id) => document.getElementById(id);
/** Chips so far: { name, url, descriptor }. */
const chips = [];
let model;

function describeBackend({ threads, simd, relaxedSimd }) {
  const features = [simd && 'SIMD', relaxedSimd && 'relaxed SIMD'].filter(Boolean).join(', ');
  const why = threads === 1 && !globalThis.crossOriginIsolated ? ' (the page is not cross-origin isolated: no SharedArrayBuffer)' : '';
  return `${threads} thread${threads === 1 ? '' : 's'}${why}, ${features}`;
}

/** A chip's RGBA pixels exactly as stored: no color conversion, no premultiplied alpha. */
async function decodeChip(file) {
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  if (bitmap.width !== FACE_CHIP_SIZE || bitmap.height !== FACE_CHIP_SIZE) {
    throw new Error(`is ${bitmap.width}x${bitmap.height}; the model takes aligned ${FACE_CHIP_SIZE}x${FACE_CHIP_SIZE} face chips`);
  }
  const canvas = new OffscreenCanvas(FACE_CHIP_SIZE, FACE_CHIP_SIZE);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  return context.getImageData(0, 0, FACE_CHIP_SIZE, FACE_CHIP_SIZE);
}

async function addChips(files) {
  const decoded = [];
  for (const file of files) {
    try {
      decoded.push({ name: file.name, url: URL.createObjectURL(file), image: await decodeChip(file) });
    } catch (error) {
      const item = document.createElement('li');
      item.textContent = `${file.name}: ${error.message}`;
      $('problems').append(item);
    }
  }
  if (decoded.length === 0) return;
  $('status').textContent = `Computing ${decoded.length} descriptor${decoded.length === 1 ? '' : 's'}…`;
  const started = performance.now();
  const descriptors = await model.computeFaceDescriptors(decoded.map((chip) => chip.image));
  const msPerFace = (performance.now() - started) / decoded.length;
  decoded.forEach(({ name, url }, i) => chips.push({ name, url, descriptor: descriptors[i] }));
  $('status').textContent = `${chips.length} chips, ${msPerFace.toFixed(1)} ms per face on ${describeBackend(model.backend)}.`;
  render();
}

function thumbnail(chip) {
  const image = document.createElement('img');
  image.src = chip.url;
  image.alt = chip.name;
  return image;
}

/** A, B, ... Z, AA, AB, ...: short names for the table's rows and columns. */
function letter(index) {
  return (index >= 26 ? letter(Math.floor(index / 26) - 1) : '') + String.fromCharCode(65 + (index % 26));
}

/** A chip's thumbnail and letter, for a row or column head. */
function chipHead(chip, index) {
  const head = document.createElement('th');
  const label = document.createElement('span');
  label.textContent = letter(index);
  head.append(thumbnail(chip), label);
  head.title = chip.name;
  return head;
}

function render() {
  $('results').hidden = chips.length === 0;
  $('clear').disabled = chips.length === 0;
  const table = $('distances');
  table.replaceChildren();
  const header = table.insertRow();
  header.append(document.createElement('th'), ...chips.map(chipHead));
  chips.forEach((a, i) => {
    const row = table.insertRow();
    row.append(chipHead(a, i));
    chips.forEach((b, j) => {
      const cell = row.insertCell();
      if (i === j) {
        cell.className = 'self';
        cell.textContent = '–';
        return;
      }
      const distance = descriptorDistance(a.descriptor, b.descriptor);
      const verdict = distance < SAME_PERSON_THRESHOLD ? 'same' : 'different';
      cell.className = verdict;
      cell.textContent = distance.toFixed(3);
      cell.title = `${a.name} and ${b.name}: ${verdict === 'same' ? 'same person' : 'different people'}`;
      Object.assign(cell.dataset, { a: a.name, b: b.name, distance: String(distance), verdict });
    });
  });
  const { labels, clusterCount } = chineseWhispers({ descriptors: chips.map((chip) => chip.descriptor) });
  $('people').replaceChildren(
    ...Array.from({ length: clusterCount }, (_, person) => {
      const item = document.createElement('li');
      const members = chips.map((chip, i) => ({ chip, i })).filter(({ i }) => labels[i] === person);
      item.append(...members.map(({ chip }) => thumbnail(chip)), members.map(({ chip, i }) => `${letter(i)} ${chip.name}`).join(', '));
      return item;
    }),
  );
}

async function exampleFiles() {
  const names = await (await fetch(`${EXAMPLES_URL}index.json`)).json();
  return Promise.all(names.map(async (name) => new File([await (await fetch(EXAMPLES_URL + name)).blob()], name, { type: 'image/png' })));
}

function wire() {
  $('files').addEventListener('change', async (event) => {
    await addChips([...event.target.files]);
    event.target.value = '';
  });
  $('examples').addEventListener('click', async () => addChips(await exampleFiles()));
  $('clear').addEventListener('click', () => {
    for (const chip of chips) URL.revokeObjectURL(chip.url);
    chips.length = 0;
    $('problems').replaceChildren();
    $('status').textContent = `Model loaded: ${describeBackend(model.backend)}.`;
    render();
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
    void addChips([...event.dataTransfer.files]);
  });
  for (const id of ['files', 'examples']) $(id).disabled = false;
}

try {
  model = await loadFaceRecognitionModel(await fetch(MODEL_URL));
  $('status').textContent = `Model loaded: ${describeBackend(model.backend)}.`;
  wire();
} catch (error) {
  $('status').textContent = `The model could not load: ${error.message}`;
}
