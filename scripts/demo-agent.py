#!/usr/bin/env python3
"""The demo coding agent `scripts/run` uses when no agent is configured.

It speaks chatops' command-agent protocol: the request `{"kind", "feature", "input"}` on stdin,
AGENT_KIND in the environment. Planning steps answer one JSON object on stdout. Code steps run in
a checkout of the feature branch and edit it in place, the way command-line coding agents do:
T1 writes a small module for the request under shop/, T2 its unit test under tests/. It makes
no network call and knows nothing but the request; it shows the path, not a product.
"""
import json
import os
import pathlib
import re
import sys

request = json.load(sys.stdin)
kind = os.environ.get("AGENT_KIND", request.get("kind", ""))
inp = request.get("input", {})
text = inp.get("request", "") or "a feature"
words = re.findall(r"[a-z0-9]+", text.lower())[:4] or ["feature"]
slug = "_".join(words)
if slug[0].isdigit():
    slug = "feature_" + slug
here = pathlib.Path.cwd()


def answer(value):
    print(json.dumps(value))
    sys.exit(0)


if kind == "analysis":
    answer({
        "feasible": True,
        "summary": f"The demo agent adds shop/{slug}.py for this request, with a unit test.",
        "ambiguities": [],
    })
if kind == "plan":
    answer({
        "tasks": [
            {"id": "T1", "title": f"Write shop/{slug}.py"},
            {"id": "T2", "title": f"Test it in tests/test_{slug}.py", "depends_on": ["T1"]},
        ],
        "estimate_hours": 1,
    })
if kind == "review":
    lines = len(inp.get("diff", "").splitlines())
    answer({"approved": True, "comments": [f"Demo review of a {lines}-line diff: reads fine."]})
if kind == "migration":
    answer({"steps": [{"id": "S1", "description": "demo step", "command": (inp.get("commands") or ["none"])[0]}]})

task = inp.get("task", {}).get("id", "")
if kind == "code" and task == "T1":
    (here / "shop" / f"{slug}.py").write_text(
        f'"""{text}"""\n\n\ndef describe():\n    """What this feature is."""\n    return {text!r}\n'
    )
    print(f"Wrote shop/{slug}.py.")
elif kind == "code":
    (here / "tests" / f"test_{slug}.py").write_text(
        "import unittest\n\n"
        f"from shop.{slug} import describe\n\n\n"
        f"class {''.join(w.title() for w in words)}Test(unittest.TestCase):\n"
        "    def test_it_says_what_it_is(self):\n"
        f"        self.assertEqual(describe(), {text!r})\n"
    )
    print(f"Wrote tests/test_{slug}.py.")
elif kind == "fix":
    print("The demo agent has no fix to offer.")
else:
    print(f"the demo agent does not do `{kind}`", file=sys.stderr)
    sys.exit(2)
