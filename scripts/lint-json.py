#!/usr/bin/env python3
"""Fails on nlohmann/json calls that throw, in the code that is compiled to wasm (sdk/, wasm/).

With -fno-exceptions every throw is an abort() that kills the wasm module (TOOLCHAIN.md §a), so the
core must use the non-throwing forms (json_access.hpp, parse(text, nullptr, false), find()).
A spot proven safe carries `// json-ok: <why>` on the same line or the line above.
Run: python3 scripts/lint-json.py [paths...]   (default: sdk wasm)
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOW = re.compile(r'//\s*json-ok:\s*\S')
TYPE_CHECK = re.compile(r'value_t::\w+|\bis_(?:string|number|number_integer|number_unsigned|number_float|boolean|object|array|null|primitive|structured)\(\)')

# (name, pattern, message). Patterns run on code with comments and string literals blanked out.
RULES = [
    ('at', re.compile(r'\.at\s*\('), 'at() throws out_of_range/type_error: use find()/json_access'),
    ('parse', re.compile(r'::parse\s*\('), 'throwing parse(): use json::parse(text, nullptr, false) + is_discarded()'),
    ('items-temporary', re.compile(r'[\)\]]\s*\.items\s*\(\s*\)'),
     'items() on a call result or subscript: bind a checked reference first (a temporary dangles, [] may throw)'),
    ('value-default', re.compile(r'\.value\s*\(\s*[^\s\)]'), 'value(key, default) throws type_error on a mismatch: use json_access'),
    ('subscript-read', re.compile(r'(?:\w|\))\s*\[\s*"[^"]*"\s*\](?!\s*=[^=])'),
     'operator[] read: throws on a non-object, undefined on a missing key of a const json: use find()/json_access'),
    ('std-sto', re.compile(r'\bstd::sto(?:i|l|ll|ul|ull|f|d|ld)\s*\('), 'std::sto*() throws on bad input: use std::strto*() / from_chars'),
    ('dump-strict', re.compile(r'\.dump\s*\('), 'dump() throws type_error 316 on invalid UTF-8: pass error_handler_t::replace'),
]
GETTERS = re.compile(r'\.(?:get|get_ref|get_ptr)\s*<|->(?:get|get_ref|get_ptr)\s*<|\bget_to\s*\(')


def blank(line):
    """Removes string/char literals (keeping the quotes of string literals empty) and // comments."""
    out, i, n = [], 0, len(line)
    while i < n:
        c = line[i]
        if c == '/' and i + 1 < n and line[i + 1] == '/':
            break
        if c in '"\'':
            q, j = c, i + 1
            while j < n and line[j] != q:
                j += 2 if line[j] == '\\' else 1
            out.append(q + ('' if q == '"' else ' ') + q)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return ''.join(out)


def keep_keys(line):
    """Like blank() but keeps the text of string literals (for the subscript rule's key)."""
    i = line.find('//')
    while i >= 0 and line.count('"', 0, i) % 2 == 1:
        i = line.find('//', i + 1)
    return line if i < 0 else line[:i]


def lint(path):
    hits = []
    lines = path.read_text(encoding='utf-8', errors='replace').splitlines()
    in_block = False
    for no, raw in enumerate(lines, 1):
        text = raw
        if in_block:
            end = text.find('*/')
            if end < 0:
                continue
            text, in_block = ' ' * (end + 2) + text[end + 2:], False
        start = text.find('/*')
        if start >= 0 and text.count('"', 0, start) % 2 == 0:
            end = text.find('*/', start + 2)
            if end < 0:
                text, in_block = text[:start], True
            else:
                text = text[:start] + text[end + 2:]
        if ALLOW.search(raw) or (no > 1 and ALLOW.search(lines[no - 2]) and lines[no - 2].strip().startswith('//')):
            continue
        code, keyed = blank(text), keep_keys(text)
        if text.lstrip().startswith('#'):
            continue
        for name, pat, msg in RULES:
            src = keyed if name == 'subscript-read' else code
            for m in pat.finditer(src):
                if name == 'parse' and re.search(r'nullptr\s*,\s*false', ' '.join(lines[no - 1:no + 1])):
                    continue
                if name == 'dump-strict' and re.search(r'error_handler_t::replace|kReplace', code[m.start():] + (lines[no] if no < len(lines) else '')):
                    continue
                if name == 'subscript-read' and re.search(r'\{\s*\{?\s*$', src[:m.start()]):
                    continue
                hits.append((no, name, msg, raw.strip()))
        if GETTERS.search(code):
            window = ' '.join(blank(l) for l in lines[max(0, no - 9):no])
            if not TYPE_CHECK.search(window):
                hits.append((no, 'get-unchecked', 'get<T>()/get_ptr<T>() without a type check (is_<type>() or value_t::) on this or the 8 lines above: '
                             'check is_<type>() first or use json_access', raw.strip()))
    return hits


def main(argv):
    targets = [ROOT / a for a in (argv or ['sdk', 'wasm'])]
    files = []
    for t in targets:
        files += [t] if t.is_file() else sorted(p for p in t.rglob('*') if p.suffix in ('.cpp', '.hpp', '.h', '.cc'))
    total = 0
    for f in files:
        for no, name, msg, src in lint(f):
            total += 1
            print(f'{f.relative_to(ROOT)}:{no}: [{name}] {msg}\n    {src}')
    if total:
        print(f'lint-json: {total} throwing nlohmann call(s); fix them or mark a proven-safe spot `// json-ok: <why>`')
        return 1
    print(f'lint-json: {len(files)} files clean')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
