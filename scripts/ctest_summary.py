#!/usr/bin/env python3
"""ctest_summary.py LABEL JUNIT.xml — one build's test results for the end of
scripts/test.sh: how many tests passed, failed and were skipped, and for each
skipped or failed test its name and why (the lines of its output that say
skip, or the last lines of a failure). Reads ctest's --output-junit file.
Exits 0; test.sh takes the pass/fail verdict from ctest itself."""
import re
import sys
import xml.etree.ElementTree as ET

SKIP_LINE = re.compile(r"^(#\s*)?(skip|skipped|skipping|SKIP|SKIPPED)\b[: ]", re.I)


def main():
    label, path = sys.argv[1], sys.argv[2]
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"{label}: no test results ({e})")
        return 0
    passed, skipped, failed = [], [], []
    for tc in root.iter("testcase"):
        name = tc.get("name")
        out = tc.findtext("system-out") or ""
        status = tc.get("status", "")
        if status == "notrun" or tc.find("skipped") is not None:
            why = [l.strip() for l in out.splitlines() if SKIP_LINE.match(l.strip()) and "listed below" not in l]
            # cmocka's own per-test lines repeat what run_cmocka.sh's last line says
            why = [w for w in why if not w.startswith("[")]
            skipped.append((name, why or ["(no reason printed)"]))
        elif status == "fail" or tc.find("failure") is not None:
            tail = [l for l in out.splitlines() if l.strip()][-3:]
            failed.append((name, tail))
        else:
            passed.append(name)
    print(f"{label}: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped")
    for name, why in skipped:
        print(f"  skipped {name}:")
        for w in dict.fromkeys(why):
            print(f"      {w}")
    for name, tail in failed:
        print(f"  FAILED  {name}:")
        for t in tail:
            print(f"      {t}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
