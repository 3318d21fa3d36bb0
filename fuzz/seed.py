#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora from the repository's own files.

    fuzz/seed.py CORPUS_DIR

Into CORPUS_DIR/<target>/, one file per seed, named by its SHA-1 as
libFuzzer names the inputs it keeps (so seeding twice adds nothing):

- template:    every conformance fixture's template
                (crates/mapping/tests/fixtures/*.case);
- render_body: every fixture's request body;
- json_guard:  the same bodies, and every fixture's expected output;
- jsonpath:    the JSONPaths the fixtures and configs pass to
                $input.path / $input.json, and `*.body.` mapping paths;
- config:      gateway.yaml, examples/*.yaml and tests/e2e/configs/*.yaml.

The hand-made seeds in fuzz/seeds/<target>/ are used beside these.
"""

import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "crates" / "mapping" / "tests" / "fixtures"
CONFIGS = [ROOT / "gateway.yaml", *sorted((ROOT / "examples").glob("*.yaml")),
           *sorted((ROOT / "tests" / "e2e" / "configs").glob("*.yaml"))]

# $input.path('...') and $input.json("..."), either quote.
JSONPATH_ARG = re.compile(r"""\$input\.(?:path|json)\(\s*(['"])(.*?)\1\s*\)""")
# `method.request.body.a.b` and `integration.response.body.x` mappings.
BODY_MAPPING = re.compile(r"""(?:method\.request|integration\.response)\.body\.([^\s'"]+)""")


def sections(text):
    """A case file's sections, as tests/conformance.rs reads them."""
    found, name, lines = {}, None, []
    for line in text.split("\n"):
        if line.startswith("--- "):
            if name is not None:
                found[name] = "\n".join(lines)
            name, lines = line[4:].strip(), []
        elif name is not None:
            lines.append(line)
    if name is not None:
        if lines and lines[-1] == "":
            lines.pop()
        found[name] = "\n".join(lines)
    return found


def body(request):
    """The request body of a case's `request` section, as text."""
    if not request.strip():
        return None
    try:
        parsed = json.loads(request)
    except ValueError:
        return None
    if "body" in parsed:
        value = parsed["body"]
        return value if isinstance(value, str) else json.dumps(value)
    if "json" in parsed:
        return json.dumps(parsed["json"], separators=(",", ":"), ensure_ascii=False)
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    seeds = {t: set() for t in ("template", "render_body", "json_guard", "jsonpath", "config")}

    for case in sorted(FIXTURES.glob("*.case")):
        parts = sections(case.read_text(encoding="utf-8"))
        template = parts.get("template")
        if template is not None:
            seeds["template"].add(template)
            for match in JSONPATH_ARG.finditer(template):
                seeds["jsonpath"].add(match.group(2))
        text = body(parts.get("request", ""))
        if text is not None:
            seeds["render_body"].add(text)
            seeds["json_guard"].add(text)
        if "expected" in parts:
            seeds["json_guard"].add(parts["expected"])

    for config in CONFIGS:
        text = config.read_text(encoding="utf-8")
        seeds["config"].add(text)
        for match in JSONPATH_ARG.finditer(text):
            seeds["jsonpath"].add(match.group(2))
        for match in BODY_MAPPING.finditer(text):
            seeds["jsonpath"].add(match.group(1))

    for target, texts in seeds.items():
        folder = out / target
        folder.mkdir(parents=True, exist_ok=True)
        for text in texts:
            data = text.encode("utf-8")
            (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)
        print(f"seed: {len(texts)} {target} seeds in {folder}", file=sys.stderr)


if __name__ == "__main__":
    main()
