#!/usr/bin/python3
"""markdown_reference.py — expected markdown counts for tests/unit/test_arena_conv.c.

Chatbot Arena's style control counts markdown in answers with Python regular
expressions (FastChat fastchat/serve/monitor/add_markdown_info.py, MULTILINE):
headers ^#{k}\\s for k = 1..6, ordered list items ^\\s*\\d+\\.\\s, unordered
^\\s*[-*+]\\s, bold \\*\\*[^*\\n]+\\*\\* and __[^_\\n]+__, after removing the
contents of every ```...``` block wherever that text occurs. This script
applies those expressions with Python's own `re` to awkward texts and writes
tests/data/arena/markdown_cases.json ({"text", "headers", "lists", "bold"});
the C code (arena/conv.c) must give the same counts. Run with /usr/bin/python3.
"""
import json
import os
import re

CASES = [
    "",
    "# Title\n## Sub\n### Three\n#### 4\n##### 5\n###### 6\n####### seven is no header\n#nospace\n",
    "#\n# \n #not at start\ntext # not header\n",
    "1. one\n2. two\n  3. indented\n10.ten\n3)paren\n\n\n4. after blank lines\n1.\n2.end",
    "- a\n* b\n+ c\n-no space\n  - nested\n\t* tab\n**bold** line\n---\n",
    "**bold** and **more bold** and ** not\nbold** and ****empty**** __under__ ___triple___ __a\nb__",
    "***x** **y*** **z**",
    "before\n```python\n# not a header\n- not a list\n**not bold**\n```\nafter **bold**\n# Header",
    "```\n```\n# empty block\n``````\n- item",
    "same\n```\nsame\n```\nsame **b** same",
    "unclosed ```\n# header\n- item",
    "\u3000- ideographic space item\n\u00a01. nbsp item\n# \u3000header\n",
    "1.\n2.\n3. x\n",
    "## Plan\n1. **Step one**: do it\n2. **Step two**: __check__\n- note\n\n### Done",
    "*  two spaces\n+\tTab\n- \n",
]


def remove_pattern(answer, pattern):
    for block in pattern.findall(answer):
        answer = answer.replace(block, "")
    return answer


def counts(text):
    t = remove_pattern(text, re.compile("```([^`]*)```"))
    headers = sum(len(re.findall(r"^#{%d}\s" % k, t, re.MULTILINE)) for k in range(1, 7))
    lists = len(re.findall(r"^\s*\d+\.\s", t, re.MULTILINE)) + len(re.findall(r"^\s*[-*+]\s", t, re.MULTILINE))
    bold = len(re.findall(r"\*\*[^*\n]+\*\*", t)) + len(re.findall(r"__[^_\n]+__", t))
    return {"text": text, "headers": headers, "lists": lists, "bold": bold}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "arena", "markdown_cases.json")
    with open(out, "w") as f:
        json.dump([counts(c) for c in CASES], f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
