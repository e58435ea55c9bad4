// Makes models/tang_rhymes.tsv, the pronunciation table that `rnnkit poem --rhyme/--tones` and
// `rnnkit poems score` use, for the Han characters of a poem model's vocabulary.
//
// Source: the npm package pinyin-pro (modern Mandarin readings, MIT licence), pinned by version
// and by the sha256 of its tarball; it is fetched with `npm pack` into a temporary directory and
// not kept. No Pingshui (平水韵, Middle Chinese) rhyme data set is published on the npm registry
// (the only registry besides Debian's that this project can reach), so the table uses modern
// readings, grouped by the 中华新韵 (the 14 rhymes of the 2005 standard for modern verse):
//   tone: 1st and 2nd tones are level (平), 3rd and 4th oblique (仄); the neutral tone counts as
//         no reading;
//   polyphonic characters: the first reading pinyin-pro lists (its most common one) gives the
//         rhyme group and the tone used for rhymes; when the other readings include the other
//         tone class the character is marked either (平仄), which tonal templates accept in
//         both kinds of position;
//   characters without a non-neutral reading are left out (the library never chooses a missing
//         character at a constrained position).
//
// Run: node tools/make_rhyme_table.mjs models/tang_lstm.safetensors models/tang_rhymes.tsv
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PACKAGE = 'pinyin-pro';
const VERSION = '3.29.4';
const TARBALL_SHA256 = '433bc66ce6bcc23ff293b268a39452461e92987b9a13eefb7242cbe3103998cd';

const [modelPath, outPath] = process.argv.slice(2);
if (!modelPath || !outPath) {
  console.error('usage: node tools/make_rhyme_table.mjs MODEL.safetensors OUT.tsv');
  process.exit(2);
}

// The vocabulary tokens stored in the safetensors header (rnnkit.vocab, docs/FORMAT.md).
function vocabularyOf(path) {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  return JSON.parse(header.__metadata__['rnnkit.vocab']).tokens;
}

function loadPinyinPro(dir) {
  execFileSync('npm', ['pack', `${PACKAGE}@${VERSION}`, '--silent'], { cwd: dir });
  const tarball = join(dir, `${PACKAGE}-${VERSION}.tgz`);
  const sha256 = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  if (sha256 !== TARBALL_SHA256)
    throw new Error(`${tarball}: sha256 ${sha256}, expected ${TARBALL_SHA256}`);
  execFileSync('tar', ['xzf', tarball, '-C', dir]);
  return createRequire(join(dir, 'package', 'package.json'))('./dist/index.js');
}

// The final of a toneless syllable, spelled as in the pinyin tables (yu -> ü, wen -> un, ju -> ü).
function finalOf(syllable) {
  const s = syllable.replace(/v/g, 'ü');
  const y = { yi: 'i', yin: 'in', ying: 'ing', yu: 'ü', yue: 'üe', yuan: 'üan', yun: 'ün',
              you: 'iu', yo: 'o', wu: 'u', wei: 'ui', wen: 'un', weng: 'ong' };
  if (y[s]) return y[s];
  if (s.startsWith('y')) return 'i' + s.slice(1);  // ya, ye, yao, yan, yang, yong
  if (s.startsWith('w')) return 'u' + s.slice(1);  // wa, wo, wai, wan, wang
  const m = /^(zh|ch|sh|[bpmfdtnlgkhjqxrzcs])?(.*)$/.exec(s);
  const [initial, rest] = [m[1] ?? '', m[2]];
  if ('jqx'.includes(initial) && initial && rest.startsWith('u')) return 'ü' + rest.slice(1);
  if (rest === 'i' && ['zh', 'ch', 'sh', 'r', 'z', 'c', 's'].includes(initial)) return '-i';
  return rest;
}

// The 14 rhymes of the 中华新韵.
const GROUPS = {
  麻: ['a', 'ia', 'ua'], 波: ['o', 'uo', 'e'], 皆: ['ie', 'üe', 'ê'], 开: ['ai', 'uai'],
  微: ['ei', 'ui'], 豪: ['ao', 'iao'], 尤: ['ou', 'iu'], 寒: ['an', 'ian', 'uan', 'üan'],
  文: ['en', 'in', 'un', 'ün'], 唐: ['ang', 'iang', 'uang'],
  庚: ['eng', 'ing', 'ong', 'iong'], 齐: ['i', 'er', 'ü'], 支: ['-i'], 姑: ['u'],
};
const groupOfFinal = new Map(
  Object.entries(GROUPS).flatMap(([group, finals]) => finals.map((f) => [f, group])));

// {reading, group, tone} of "guang1"; null for the neutral tone and for a character pinyin-pro
// has no reading of (it returns the character itself).
function parseReading(reading, character) {
  if (reading === character) return null;
  const m = /^([a-züê]+)([0-4])$/.exec(reading);
  if (!m) throw new Error(`unexpected reading ${reading} of ${character}`);
  if (m[2] === '0') return null;
  const final = finalOf(m[1]);
  const group = groupOfFinal.get(final);
  if (!group) {  // the interjections m, n, ng, hm have no vowel, and no rhyme
    console.warn(`${character}: reading ${reading} has no rhyme group (final ${final}), ignored`);
    return null;
  }
  return { reading, group, tone: m[2] <= '2' ? '平' : '仄' };
}

const dir = mkdtempSync(join(tmpdir(), 'rhyme-table-'));
try {
  const { pinyin } = loadPinyinPro(dir);
  const han = /^\p{Script=Han}$/u;
  const rows = [];
  let missing = 0;
  for (const token of vocabularyOf(modelPath)) {
    if (!han.test(token)) continue;
    const readings = pinyin(token, { multiple: true, type: 'array', toneType: 'num' })
      .map((r) => parseReading(r, token)).filter((r) => r !== null);
    if (readings.length === 0) {
      ++missing;
      continue;
    }
    const first = readings[0];
    const tones = new Set(readings.map((r) => r.tone));
    rows.push([token, first.reading, first.group, tones.size > 1 ? '平仄' : first.tone].join('\t'));
  }
  const provenance =
    `# rnnkit rhyme table: ${rows.length} characters of ${modelPath} (${missing} left out: no ` +
    `reading) from npm ${PACKAGE} ${VERSION} (tarball sha256 ${TARBALL_SHA256}); modern readings, ` +
    `中华新韵 groups; made by tools/make_rhyme_table.mjs\n` +
    `# character\tfirst reading\trhyme group\ttone (平, 仄, or 平仄 for either)\n`;
  writeFileSync(outPath + '.tmp', provenance + rows.join('\n') + '\n');
  renameSync(outPath + '.tmp', outPath);
  console.log(`${outPath}: ${rows.length} characters, ${missing} without a reading`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
