// Drives the poem page of `rnnkit serve` in headless Debian chromium on a phone-sized screen:
// a first line typed in, the poem streaming in character by character and keeping its form and
// equal to the API's, an acrostic through the 藏头: prefix, regenerate, copy, an error shown for a
// character outside the vocabulary, and a screenshot.
// Usage: node poem_page.mjs URL SCREENSHOT_PATH USER_DATA_DIR
import { chromium } from "playwright-core";

const [url, screenshotPath, userDataDir] = process.argv.slice(2);
if (!url || !screenshotPath || !userDataDir) {
  console.error("usage: node poem_page.mjs URL SCREENSHOT_PATH USER_DATA_DIR");
  process.exit(2);
}

let failures = 0;
function check(what, ok, detail = "") {
  console.log(`${ok ? "ok" : "FAIL"}: ${what}${ok || !detail ? "" : ` (${detail})`}`);
  if (!ok) failures += 1;
}

// Lines of `form` Han characters, ending alternately in ， and 。, the last in 。.
function formFault(text, form, lines) {
  const han = `\\p{Script=Han}{${form}}`;
  const couplets = text.trim().split("\n");
  const pattern = new RegExp(`^${han}，${han}。$`, "u");
  if (couplets.length !== lines / 2) return `${couplets.length} couplets, not ${lines / 2}`;
  const bad = couplets.find((couplet) => !pattern.test(couplet));
  return bad === undefined ? "" : `not a couplet of ${form}: ${bad}`;
}

async function writeAndWait(page) {
  // The state of the poem before is no answer: a write the page refused would look done.
  await page.evaluate(() => (document.getElementById("poem").dataset.state = ""));
  await page.click("#write");
  await page.waitForSelector("#poem[data-state=done], #poem[data-state=error]", {
    timeout: 30000,
  });
  return page.textContent("#poem");
}

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  permissions: ["clipboard-read", "clipboard-write"],
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url, { waitUntil: "load" });
  check("the page is in Chinese", (await page.getAttribute("html", "lang")) === "zh-CN");
  await page.waitForFunction(() => document.getElementById("temperature-value").textContent !== "");
  const model = await (await fetch(new URL("/v1/model", url))).json();
  check(
    "the temperature control starts at the server's default",
    Number(await page.inputValue("#temperature")) === model.defaults.temperature,
  );

  // Count the updates of the poem element: a poem set all at once would be one or two.
  await page.evaluate(() => {
    window.poemUpdates = 0;
    new MutationObserver((records) => (window.poemUpdates += records.length)).observe(
      document.getElementById("poem"),
      { childList: true, characterData: true, subtree: true },
    );
  });
  await page.fill("#text", "床前看月光");
  await page.fill("#seed", "1");
  const poem = await writeAndWait(page);
  check("the poem is written", (await page.getAttribute("#poem", "data-state")) === "done", poem);
  check("the poem begins with the first line", poem.startsWith("床前看月光，"), poem);
  const fault = formFault(poem, 5, 4);
  check("the poem has 4 lines of 5 Han characters, ，。 alternating", fault === "", fault);
  const updates = await page.evaluate(() => window.poemUpdates);
  check("the poem appears character by character", updates >= 20, `${updates} updates`);
  const api = await (
    await fetch(new URL("/v1/poem", url), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ start: "床前看月光", seed: 1, temperature: model.defaults.temperature }),
    })
  ).json();
  check("the page shows the API's poem for the same seed", poem === api.poems[0].text, api.poems[0].text);
  check(
    "the page fits the phone's width",
    await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
  );
  await page.screenshot({ path: screenshotPath, fullPage: true });

  await page.click("#copy");
  await page.waitForFunction(() => document.getElementById("status").textContent === "已复制");
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  check("copy puts the poem on the clipboard", copied === poem, copied);

  await page.click("#regenerate");
  await page.waitForFunction(
    () => document.getElementById("poem").dataset.state === "done" &&
      document.getElementById("poem").dataset.seed === "2",
    null,
    { timeout: 30000 },
  );
  const again = await page.textContent("#poem");
  check("regenerate writes another poem of the form", formFault(again, 5, 4) === "" && again !== poem, again);
  check("regenerate moves the seed on", (await page.inputValue("#seed")) === "2");

  await page.check("#rhyme");
  await page.check("#tones");
  const ruled = await writeAndWait(page);
  const ruledApi = await (
    await fetch(new URL("/v1/poem", url), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        start: "床前看月光", seed: 2, temperature: model.defaults.temperature, rhyme: true, tones: true,
      }),
    })
  ).json();
  check(
    "the 押韵 and 平仄 toggles ask for rhyme and tones",
    ruled === ruledApi.poems[0].text && ruled !== again,
    `${ruled} / ${ruledApi.poems[0].text} / ${again}`,
  );
  await page.uncheck("#rhyme");
  await page.uncheck("#tones");

  await page.fill("#text", "藏头:春花白日");
  await page.selectOption("#form", "7");
  const acrostic = await writeAndWait(page);
  const heads = acrostic.trim().split("\n").flatMap((couplet) => couplet.split("，")).map((l) => l[0]);
  check("藏头: writes an acrostic", heads.join("") === "春花白日", acrostic);
  check("the acrostic keeps the 7-character form", formFault(acrostic, 7, 4) === "", acrostic);

  await page.fill("#text", "藏头:春夏");
  await writeAndWait(page);
  const status = await page.textContent("#status");
  check("a character outside the vocabulary is reported by name", status.includes("夏"), status);

  // A poem of the server's own seed: the seed shown replays it (a seed beyond 2^53 would be
  // rounded by JavaScript and write another poem).
  await page.fill("#text", "床前看月光");
  await page.selectOption("#form", "");
  await page.fill("#seed", "");
  const drawn = await writeAndWait(page);
  const shown = (await page.textContent("#status")).match(/种子 (\d+)/)?.[1] ?? "";
  await page.fill("#seed", shown);
  const replayed = await writeAndWait(page);
  check("the seed shown replays its poem", shown !== "" && replayed === drawn, `${shown}: ${drawn} / ${replayed}`);
  await page.fill("#seed", "12345678901234567890");
  await page.click("#write");
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("种子须为"));
  check("a seed JavaScript cannot hold exactly is refused", true);

  // What a number field holds when it holds no number reads as "": refused, not a random seed.
  await page.fill("#seed", "");
  await page.evaluate(() => (document.getElementById("status").textContent = ""));
  await page.focus("#seed");
  await page.keyboard.type("1-2");
  await page.click("#regenerate");
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("种子须为"));
  check("a seed that is no number is refused, not replaced", true);
  await page.fill("#seed", "5");

  await page.fill("#text", "  藏头: ");
  await page.click("#regenerate");
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("请先输入首句或藏头字"));
  check("a blank text is asked for before any request", true);

  await page.fill("#text", "床前看月光");
  await page.evaluate(() => {
    document.getElementById("temperature").value = "0";
  });
  await writeAndWait(page);
  const greedy = await page.textContent("#status");
  check("at temperature 0 the status says every seed writes the same poem", greedy.includes("温度为 0"), greedy);
} finally {
  await context.close();
}
console.log(failures ? `${failures} check(s) failed` : "all checks passed");
process.exit(failures ? 1 : 0);
