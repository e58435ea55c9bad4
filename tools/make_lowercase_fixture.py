"""Writes tests/fixtures/lowercase.json: Python's str.lower() of every character it changes and
of Greek capital sigma in the contexts that make it final or not, the reference for rnnkit's
`--lowercase` (tests/test_vocab.cpp). With --check, verifies the file against this Python.

    /usr/bin/python3 tools/make_lowercase_fixture.py [--check]
"""
import json
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "lowercase.json"

# Σ is σ inside a word and ς at its end: cased letters before it (case-ignorable ones such as
# apostrophes and combining marks skipped) and none after it.
SIGMA_CONTEXTS = [
    "ΟΔΟΣ", "ΣΑ", "Σ", "ΑΣ.", "ΑΣ ΑΣ", "ΑΣ'Α", "ΑΣ'", "Α'Σ", "Α.Σ", "ΑΣΑ", "ὈΔΥΣΣΕΎΣ",
    "ΑΣ\u0301", "Α\u0301Σ", "1Σ", "aΣ", "ǅΣ", "ΑΣ\u0301Α", "ΣΣ", "ΑΣΣ", "Σ.Σ",
]


def cases():
    changed = []
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        c = chr(code)
        if c.lower() != c and c != "Σ":
            changed.append(c)
    # One line per character, and every character in one line, as a corpus holds them.
    inputs = [f"{c} x{c}y" for c in changed] + ["".join(changed)] + SIGMA_CONTEXTS
    inputs += ["İstanbul ΟΔΥΣΣΕΥΣ Straße ǄEMAL ＡＢＣ Ⅻ Ⓐ 𐐀 VIỆT NAM ҐАНОК"]
    return {"unicode": unicodedata.unidata_version,
            "pairs": [[text, text.lower()] for text in inputs]}


def main():
    expected = cases()
    if "--check" in sys.argv:
        stored = json.loads(OUT.read_text(encoding="utf-8"))
        if stored != expected:
            sys.exit(f"{OUT} differs from this Python's str.lower() (Unicode "
                     f"{expected['unicode']}; the file has {stored.get('unicode')})")
        print(f"{OUT}: {len(stored['pairs'])} cases agree")
        return
    OUT.write_text(json.dumps(expected, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(expected['pairs'])} cases, Unicode {expected['unicode']}")


if __name__ == "__main__":
    main()
