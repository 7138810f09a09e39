#!/usr/bin/env python3
"""Compile a gettext .po file into LuCI's .lmo catalogue: usage po2lmo.py IN.po OUT.lmo

The format, as LuCI's po2lmo writes it and lmo.c reads it: every translated string, each padded
with NULs to a multiple of 4 bytes; then one index entry per string, four big-endian u32s
(key hash, value id, offset, length), sorted by key hash; then the index's offset as a final
big-endian u32. The key hash is SuperFastHash, seeded with the length, of the msgid (with
"msgctxt\\1" before it and "\\2N" after a plural msgid for form N); value id is the number of
plural forms seen + 1 (1 for a singular). The "Plural-Forms:" value of the header is stored
under key 0. An entry whose translation hashes like its key (untranslated) is left out, and
like po2lmo an empty catalogue writes no file. Escapes: \\" and \\\\ are undone; others (\\n)
stay as written, as po2lmo keeps them.
"""
import struct
import sys


def sfh(data: bytes) -> int:
    """SuperFastHash as lmo.c computes it (trailing bytes read as signed chars)."""
    if not data:
        return 0
    m = 0xFFFFFFFF
    h = len(data) & m

    def get16(o):
        return data[o] | (data[o + 1] << 8)

    def signed(b):
        return b - 256 if b > 127 else b

    n, rem = len(data) >> 2, len(data) & 3
    off = 0
    for _ in range(n):
        h = (h + get16(off)) & m
        tmp = ((get16(off + 2) << 11) ^ h) & m
        h = ((h << 16) ^ tmp) & m
        h = (h + (h >> 11)) & m
        off += 4
    if rem == 3:
        h = (h + get16(off)) & m
        h = (h ^ (h << 16)) & m
        h = (h ^ ((signed(data[off + 2]) << 18) & m)) & m
        h = (h + (h >> 11)) & m
    elif rem == 2:
        h = (h + get16(off)) & m
        h = (h ^ (h << 11)) & m
        h = (h + (h >> 17)) & m
    elif rem == 1:
        h = (h + (signed(data[off]) & m)) & m
        h = (h ^ (h << 10)) & m
        h = (h + (h >> 1)) & m
    h = (h ^ (h << 3)) & m
    h = (h + (h >> 5)) & m
    h = (h ^ (h << 4)) & m
    h = (h + (h >> 17)) & m
    h = (h ^ (h << 25)) & m
    h = (h + (h >> 6)) & m
    return h


def unquote(line: str, where: str) -> str:
    start, end = line.find('"'), line.rfind('"')
    if start < 0 or end <= start:
        raise ValueError(f"{where}: expected a quoted string")
    out, s, i = [], line[start + 1:end], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s) and s[i + 1] in '"\\':
            out.append(s[i + 1])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def parse(path: str):
    """The messages of a .po file: dicts with ctxt, id, id_plural and the msgstr forms."""
    messages, msg, field = [], {}, None

    def flush():
        nonlocal msg
        if "id" in msg or msg.get("str"):
            messages.append(msg)
        msg = {}

    with open(path, encoding="utf-8") as f:
        for no, raw in enumerate(f, 1):
            line, where = raw.strip(), f"{path}:{no}"
            if not line or line.startswith("#"):
                continue
            if line.startswith("msgctxt "):
                flush()
                msg["ctxt"], field = unquote(line, where), ("ctxt", None)
            elif line.startswith("msgid_plural "):
                msg["id_plural"], field = unquote(line, where), ("id_plural", None)
            elif line.startswith("msgid "):
                if "ctxt" not in msg or "id" in msg:
                    flush()
                msg["id"], field = unquote(line, where), ("id", None)
            elif line.startswith("msgstr"):
                n = int(line[7:line.index("]")]) if line.startswith("msgstr[") else 0
                if n >= 10:
                    raise ValueError(f"{where}: too many plural forms")
                msg.setdefault("str", {})[n] = unquote(line, where)
                field = ("str", n)
            elif line.startswith('"') and field:
                name, n = field
                if name == "str":
                    msg["str"][n] += unquote(line, where)
                else:
                    msg[name] += unquote(line, where)
            else:
                raise ValueError(f"{where}: cannot read {line[:40]!r}")
    flush()
    return messages


def compile_po(messages) -> bytes:
    strings, index = bytearray(), []

    def put(key, val_id, text: bytes):
        index.append((key, val_id, len(strings), len(text)))
        strings.extend(text + b"\0" * ((4 - len(text) % 4) % 4))

    for m in messages:
        forms = m.get("str", {})
        if m.get("id"):
            plural = max(forms) if forms else 0
            for n, value in sorted(forms.items()):
                if not value:
                    continue
                key = m["id"]
                if m.get("id_plural"):
                    key += f"\2{n}"
                if m.get("ctxt"):
                    key = m["ctxt"] + "\1" + key
                k, v = key.encode("utf-8"), value.encode("utf-8")
                if sfh(k) != sfh(v):
                    put(sfh(k), plural + 1, v)
        elif forms.get(0):
            for field in forms[0].split("\\n"):
                if field.lower().startswith("plural-forms: "):
                    put(0, 0, field[14:].encode("utf-8"))
                    break
    index.sort(key=lambda e: e[0])
    keys = [e[0] for e in index]
    if len(set(keys)) != len(keys):
        raise ValueError("two messages hash alike; LuCI could find only one of them")
    out = bytes(strings) + b"".join(struct.pack(">IIII", *e) for e in index)
    return out + struct.pack(">I", len(strings)) if strings else b""


def main():
    if len(sys.argv) != 3:
        print("usage: po2lmo.py input.po output.lmo", file=sys.stderr)
        return 1
    try:
        data = compile_po(parse(sys.argv[1]))
    except (OSError, ValueError) as e:
        print(f"po2lmo: {e}", file=sys.stderr)
        return 1
    if not data:
        print(f"po2lmo: {sys.argv[1]} has no translations; no catalogue written", file=sys.stderr)
        return 0
    with open(sys.argv[2], "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
