#!/usr/bin/python3
"""gen_audio.py — synthesises the audio of the speech demo tasks
(speech_demo_en.json, speech_demo_zh.json beside this script) offline with
espeak-ng (Debian package espeak-ng; scripts/setup.sh installs it): one WAV
per sentence of data/sentences_en.jsonl and data/sentences_zh.jsonl, into
audio/ beside this script (or the folder given with --out). The sentences
are the project's own; nothing is downloaded. espeak-ng is deterministic
for a given version, so the same files come out each time.

Usage: gen_audio.py [--out DIR]
"""
import json
import os
import subprocess
import sys

VOICES = {"en": "en-us", "zh": "cmn"}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "audio")
    if "--out" in sys.argv:
        out = sys.argv[sys.argv.index("--out") + 1]
    os.makedirs(out, exist_ok=True)
    for lang, voice in VOICES.items():
        with open(os.path.join(here, "data", "sentences_%s.jsonl" % lang), encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                wav = os.path.join(out, os.path.basename(rec["audio"]))
                subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", wav, rec["text"]], check=True)
    print("gen_audio.py: wrote the demo audio into %s" % out)


if __name__ == "__main__":
    main()
