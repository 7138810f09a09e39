#!/usr/bin/env python3
"""apk-tools v3 packages (.apk) and repository indexes (packages.adb), written and checked
without apk-tools, which Debian does not package.

  apk3.py pack --files DIR --output OUT.apk --info KEY:VALUE... [--script TYPE:FILE...]
      like `apk mkpkg` as OpenWrt 25.12's include/package-pack.mk runs it: every file and
      directory under DIR, owned by root, mtimes from SOURCE_DATE_EPOCH.
  apk3.py index --output packages.adb [--description TEXT] [--sign-key KEY.pem] APK...
      like `apk mkndx`: the packages' info, their size and the SHA-256 of their ADB block;
      signed (apk's v0 signature over SHA-512) when a key is given.
  apk3.py check [--json] [--key PUB.pem] FILE...
      reads packages and indexes back and checks everything we rely on: the container and
      its blocks, every value against apk's schema, the package's unique id, every file's
      SHA-256 against its data block, sizes, modes, script syntax; an index's entries
      against the packages beside it and, with --key, its signature.
  apk3.py extract PKG ROOT [--scripts DIR]
      what `apk add --root ROOT` writes: the files with their modes (scripts to DIR).

The format, from apk-tools' doc/apk-v3.5 and src/adb.h, adb.c, apk_adb.c, app_mkpkg.c,
app_mkndx.c, extract_v3.c: a file is "ADB." + schema id + 8-byte aligned blocks (one ADB
block, then signature blocks, then one data block per non-empty regular file), usually
deflated behind "ADBd". The ADB block is a tree of 32-bit little-endian tagged values: the
top 4 bits are the type, the low 28 a direct value or the offset of the value in the block.
"""
import argparse
import hashlib
import json
import os
import re
import stat
import struct
import subprocess
import sys
import tempfile
import zlib

MAGIC = b"ADB."
SCHEMA_PACKAGE = 0x676B6370  # "pckg"
SCHEMA_INDEX = 0x78646E69  # "indx"

T_SPECIAL, T_INT, T_INT32, T_INT64 = 0x0, 0x1, 0x2, 0x3
T_BLOB8, T_BLOB16, T_BLOB32, T_ARRAY, T_OBJECT = 0x8, 0x9, 0xA, 0xD, 0xE
VALUE_MASK = 0x0FFFFFFF
NULL = 0

BLOCK_ADB, BLOCK_SIG, BLOCK_DATA, BLOCK_EXT = 0, 1, 2, 3
DIGEST_SHA512 = 4  # apk_crypto.h: the signature's hash algorithm id
UID_LEN = 20  # mkpkg's unique id: the first 20 bytes (a SHA-1's length) of a SHA-256

# Schemas (apk_adb.c). A field is (name, kind); kinds: "str", "name", "version", "hex",
# "int", "script", or a nested schema: ("obj", fields) / ("arr", item kind).
DEPENDENCY = ("obj", {1: ("name", "str"), 2: ("version", "version"), 3: ("match", "int")})
DEPENDENCIES = ("arr", DEPENDENCY)
STRINGS = ("arr", "str")
PKGINFO = ("obj", {
    1: ("name", "name"), 2: ("version", "version"), 3: ("hashes", "hex"),
    4: ("description", "str"), 5: ("arch", "str"), 6: ("license", "str"), 7: ("origin", "str"),
    8: ("maintainer", "str"), 9: ("url", "str"), 10: ("repo-commit", "hex"),
    11: ("build-time", "int"), 12: ("installed-size", "int"), 13: ("file-size", "int"),
    14: ("provider-priority", "int"), 15: ("depends", DEPENDENCIES), 16: ("provides", DEPENDENCIES),
    17: ("replaces", DEPENDENCIES), 18: ("install-if", DEPENDENCIES), 19: ("recommends", DEPENDENCIES),
    20: ("layer", "int"), 21: ("tags", STRINGS),
})
ACL = ("obj", {1: ("mode", "int"), 2: ("user", "str"), 3: ("group", "str"), 4: ("xattrs", STRINGS)})
FILE = ("obj", {1: ("name", "str"), 2: ("acl", ACL), 3: ("size", "int"), 4: ("mtime", "int"),
                5: ("hash", "hex"), 6: ("target", "hex")})
DIR = ("obj", {1: ("name", "str"), 2: ("acl", ACL), 3: ("files", ("arr", FILE))})
SCRIPT_NAMES = ["trigger", "pre-install", "post-install", "pre-deinstall", "post-deinstall",
                "pre-upgrade", "post-upgrade"]
SCRIPTS = ("obj", {i + 1: (n, "script") for i, n in enumerate(SCRIPT_NAMES)})
PACKAGE = ("obj", {1: ("info", PKGINFO), 2: ("paths", ("arr", DIR)), 3: ("scripts", SCRIPTS),
                   4: ("triggers", STRINGS), 5: ("replaces-priority", "int")})
INDEX = ("obj", {1: ("description", "str"), 2: ("packages", ("arr", PKGINFO)), 3: ("pkgname-spec", "str")})
ROOTS = {SCHEMA_PACKAGE: ("package", PACKAGE), SCHEMA_INDEX: ("index", INDEX)}

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9+_.-]*\Z")
# apk_version_validate: digits and dots, an optional letter, suffixes, ~hash, -rN.
VERSION_RE = re.compile(
    r"[0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(~[0-9a-f]+)?(-r[0-9]+)?\Z")


class Invalid(Exception):
    """Something in a file breaks the format or what we promise about our packages."""


def field(fields, name):
    return next(i for i, (n, _) in fields.items() if n == name)


# ---- writing --------------------------------------------------------------------------------

class Writer:
    """One ADB block being built: values are appended as they are made, identical data is
    stored once (as apk's writer does), and the root is set last."""

    def __init__(self):
        self.buf = bytearray(8)  # struct adb_hdr: compat version 0, version 0, reserved, root
        self.seen = {}

    def _put(self, data, align, share=True):
        for off in self.seen.get(data, ()) if share else ():
            if off % align == 0:
                return off
        self.buf += bytes(-len(self.buf) % align)
        off = len(self.buf)
        if off > VALUE_MASK:
            raise Invalid("ADB block larger than 256 MiB")
        self.buf += data
        if share:
            self.seen.setdefault(bytes(data), []).append(off)
        return off

    def blob(self, b, share=True):
        if isinstance(b, str):
            b = b.encode()
        if not b:
            return NULL
        for kind, fmt, limit in ((T_BLOB8, "<B", 0xFF), (T_BLOB16, "<H", 0xFFFF), (T_BLOB32, "<I", 0xFFFFFFFF)):
            if len(b) <= limit:
                size = struct.calcsize(fmt)
                return kind << 28 | self._put(struct.pack(fmt, len(b)) + b, size, share)
        raise Invalid("blob too long")

    def int(self, v):
        if v < 0x10000000:
            return T_INT << 28 | v
        if v < 1 << 32:
            return T_INT32 << 28 | self._put(struct.pack("<I", v), 4)
        return T_INT64 << 28 | self._put(struct.pack("<Q", v), 4)

    def obj(self, values):
        """An object from {field index: value}; trailing NULLs dropped, empty is NULL."""
        n = max([i for i, v in values.items() if v != NULL], default=0) + 1
        if n == 1:
            return NULL
        slots = [n] + [values.get(i, NULL) for i in range(1, n)]
        return T_OBJECT << 28 | self._put(struct.pack(f"<{n}I", *slots), 4)

    def arr(self, items):
        """An array; apk's mkpkg and mkndx commit theirs with adb_wo_obj, so they carry the
        object tag too (the reader takes either)."""
        return self.obj({i + 1: v for i, v in enumerate(v for v in items if v != NULL)})

    def root(self, v):
        struct.pack_into("<I", self.buf, 4, v)


def block(kind, payload):
    raw = 4 + len(payload)
    if raw > 0x3FFFFFFF:
        raise Invalid("block too large for a plain block header")
    return struct.pack("<I", kind << 30 | raw) + payload + bytes(-raw % 8)


def deflated(container):
    z = zlib.compressobj(9, zlib.DEFLATED, -15)  # apk's default: raw deflate, level 9
    return b"ADBd" + z.compress(container) + z.flush()


def dependencies(w, text):
    """Written in the order given, then sorted by name and made unique (adb_wa_sort_unique)."""
    deps = []
    for d in text.split():
        if not NAME_RE.match(d):
            raise Invalid(f"depends: '{d}' is not a plain package name")
        deps.append((d.encode(), w.obj({field(DEPENDENCY[1], "name"): w.blob(d)})))
    return w.arr([v for _, v in sorted(set(deps))])


PKGINFO_FROM_TEXT = ["name", "version", "description", "arch", "license", "origin", "maintainer", "url",
                     "depends", "provides"]


def pkginfo_values(w, info):
    """The --info fields, written in schema order as mkpkg's assign_fields does."""
    fields = PKGINFO[1]
    out = {}
    for i in sorted(fields):
        name, kind = fields[i]
        if name not in info:
            continue
        text = info[name]
        if kind == "name" and not NAME_RE.match(text):
            raise Invalid(f"name: '{text}' is not a valid package name")
        if kind == "version" and not VERSION_RE.match(text):
            raise Invalid(f"version: '{text}' is not an apk version")
        out[i] = dependencies(w, text) if kind == DEPENDENCIES else w.blob(text)
    return out


def scan(root):
    """Directories (root first, then by path) and, per directory, its non-directory entries
    by name: the order mkpkg walks and sorts them in."""
    dirs = [""]
    for top, subdirs, _ in os.walk(root):
        rel = os.path.relpath(top, root)
        dirs += [os.path.normpath(os.path.join(rel, d)) for d in subdirs]
    dirs = [""] + sorted(d for d in dirs if d not in ("", "."))
    out = []
    for d in dirs:
        full = os.path.join(root, d)
        names = sorted(n for n in os.listdir(full) if not stat.S_ISDIR(os.lstat(os.path.join(full, n)).st_mode))
        out.append((d, names))
    return out


def pack(files_dir, info, scripts, epoch, output):
    for required in ("name", "version", "arch"):
        if required not in info:
            raise Invalid(f"--info {required}:... is required")
    w = Writer()
    info_values = pkginfo_values(w, info)
    installed = 0
    paths = []
    data = []  # (path index, file index, bytes)
    for pi, (d, names) in enumerate(scan(files_dir), start=1):
        files = []
        for fi, n in enumerate(names, start=1):
            full = os.path.join(files_dir, d, n)
            st = os.lstat(full)
            f = {1: w.blob(n)}
            if stat.S_ISREG(st.st_mode):
                with open(full, "rb") as fh:
                    content = fh.read()
                f[5] = w.blob(hashlib.sha256(content).digest())
                installed += len(content)
                if content:
                    data.append((pi, fi, content))
            elif stat.S_ISLNK(st.st_mode):
                f[6] = w.blob(struct.pack("<H", stat.S_IFLNK) + os.readlink(full).encode())
            else:
                raise Invalid(f"{full}: only regular files, symlinks and directories go in a package")
            f[4] = w.int(epoch)
            f[3] = w.int(st.st_size if stat.S_ISREG(st.st_mode) else len(os.readlink(full)))
            acl = w.obj({1: w.int(stat.S_IMODE(st.st_mode)), 2: w.blob("root"), 3: w.blob("root")})
            f[2] = acl
            files.append(w.obj(f))
        dst = os.lstat(os.path.join(files_dir, d))
        name = w.blob(d)
        acl = w.obj({1: w.int(stat.S_IMODE(dst.st_mode)), 2: w.blob("root"), 3: w.blob("root")})
        paths.append(w.obj({1: name, 2: acl, 3: w.arr(files)}))
    pi = PKGINFO[1]
    info_values[field(pi, "installed-size")] = w.int(installed or 1)
    info_values[field(pi, "hashes")] = w.blob(bytes(UID_LEN), share=False)
    pkg = {1: w.obj(info_values), 2: w.arr(paths)}
    if scripts:
        pkg[3] = w.obj({i + 1: w.blob(scripts.get(n, b"")) for i, n in enumerate(SCRIPT_NAMES)})
    w.root(w.obj(pkg))
    # The unique id is the SHA-256 of the block with the id still zero (app_mkpkg.c).
    uid_at = read_uid_offset(bytes(w.buf))
    w.buf[uid_at:uid_at + UID_LEN] = hashlib.sha256(w.buf).digest()[:UID_LEN]
    container = MAGIC + struct.pack("<I", SCHEMA_PACKAGE) + block(BLOCK_ADB, bytes(w.buf))
    container += b"".join(block(BLOCK_DATA, struct.pack("<II", p, f) + c) for p, f, c in data)
    with open(output, "wb") as fh:
        fh.write(deflated(container))


def read_uid_offset(adb):
    r = Reader(adb)
    info = r.slot(r.slot(r.root, 1), field(PKGINFO[1], "hashes"))
    return (info & VALUE_MASK) + 1


# ---- reading --------------------------------------------------------------------------------

class Reader:
    """Strict decoding of one ADB block against a schema."""

    def __init__(self, adb):
        if len(adb) < 8:
            raise Invalid("ADB block shorter than its header")
        if adb[0] != 0:
            raise Invalid(f"ADB compat version {adb[0]}, expected 0")
        self.adb = adb
        self.root = struct.unpack_from("<I", adb, 4)[0]

    def _at(self, off, n, what):
        if off + n > len(self.adb):
            raise Invalid(f"{what} at {off}+{n} runs past the ADB block ({len(self.adb)} bytes)")
        return self.adb[off:off + n]

    def slots(self, v, where):
        if v >> 28 not in (T_OBJECT, T_ARRAY):
            raise Invalid(f"{where}: expected an object or array, tag {v >> 28:#x}")
        off = v & VALUE_MASK
        if off % 4:
            raise Invalid(f"{where}: object at unaligned offset {off}")
        n = struct.unpack("<I", self._at(off, 4, where))[0]
        if n < 2:
            raise Invalid(f"{where}: object with {n} slots (an empty one must be NULL)")
        return list(struct.unpack(f"<{n}I", self._at(off, 4 * n, where)))

    def slot(self, v, i):
        s = self.slots(v, "object")
        return s[i] if i < len(s) else NULL

    def blob(self, v, where):
        kind, off = v >> 28, v & VALUE_MASK
        sizes = {T_BLOB8: "<B", T_BLOB16: "<H", T_BLOB32: "<I"}
        if kind not in sizes:
            raise Invalid(f"{where}: expected a blob, tag {kind:#x}")
        hdr = struct.calcsize(sizes[kind])
        if off % hdr:
            raise Invalid(f"{where}: blob at unaligned offset {off}")
        n = struct.unpack(sizes[kind], self._at(off, hdr, where))[0]
        if n == 0:
            raise Invalid(f"{where}: empty blob (must be NULL)")
        return self._at(off + hdr, n, where)

    def int(self, v, where):
        kind, off = v >> 28, v & VALUE_MASK
        if kind == T_INT:
            return off
        if kind in (T_INT32, T_INT64):
            n = 4 if kind == T_INT32 else 8
            if off % 4:
                raise Invalid(f"{where}: integer at unaligned offset {off}")
            return int.from_bytes(self._at(off, n, where), "little")
        raise Invalid(f"{where}: expected an integer, tag {kind:#x}")

    def decode(self, v, kind, where):
        """A value as Python data: objects as dicts of their set fields, arrays as lists,
        blobs as str (or bytes for "hex")."""
        if isinstance(kind, tuple):
            slots = self.slots(v, where)
            if kind[0] == "arr":
                if NULL in slots[1:]:
                    raise Invalid(f"{where}: NULL array item")
                return [self.decode(x, kind[1], f"{where}[{i}]") for i, x in enumerate(slots[1:], 1)]
            fields = kind[1]
            if len(slots) - 1 > max(fields):
                raise Invalid(f"{where}: {len(slots) - 1} fields, the schema has {max(fields)}")
            if slots[-1] == NULL:
                raise Invalid(f"{where}: trailing NULL field (apk trims them)")
            out = {}
            for i, x in enumerate(slots[1:], 1):
                if x != NULL:
                    name, sub = fields[i]
                    out[name] = self.decode(x, sub, f"{where}.{name}")
            return out
        if kind == "int":
            return self.int(v, where)
        b = self.blob(v, where)
        if kind == "hex":
            return b
        try:
            text = b.decode()
        except UnicodeDecodeError:
            raise Invalid(f"{where}: not UTF-8")
        if kind == "name" and not NAME_RE.match(text):
            raise Invalid(f"{where}: '{text}' is not a valid package name")
        if kind == "version" and not VERSION_RE.match(text):
            raise Invalid(f"{where}: '{text}' is not an apk version")
        return text


def open_container(path):
    """(schema, ADB block, signature blocks, data blocks) of an .apk or .adb file."""
    with open(path, "rb") as fh:
        raw = fh.read()
    head = raw[:4]
    if head == b"ADBd":
        z = zlib.decompressobj(-15)
        raw = z.decompress(raw[4:]) + z.flush()
        if not z.eof or z.unused_data:
            raise Invalid(f"{path}: the deflate stream is truncated or followed by garbage")
    elif head == b"ADBc":
        alg = raw[4]
        if alg != 1:
            raise Invalid(f"{path}: compression {alg} (only deflate, 1, is read here)")
        z = zlib.decompressobj(-15)
        raw = z.decompress(raw[6:]) + z.flush()
    elif head != MAGIC:
        raise Invalid(f"{path}: not an ADB file (starts with {head!r})")
    if raw[:4] != MAGIC or len(raw) < 8:
        raise Invalid(f"{path}: no ADB header inside")
    schema = struct.unpack_from("<I", raw, 4)[0]
    pos, adb, sigs, data = 8, None, [], []
    while pos < len(raw):
        if pos + 4 > len(raw):
            raise Invalid(f"{path}: truncated block header at {pos}")
        tag = struct.unpack_from("<I", raw, pos)[0]
        kind, size = tag >> 30, tag & 0x3FFFFFFF
        if kind == BLOCK_EXT:
            raise Invalid(f"{path}: extended block at {pos} (never needed for files this small)")
        end = pos + (size + 7) // 8 * 8
        if size < 4 or end > len(raw):
            raise Invalid(f"{path}: block at {pos} of size {size} does not fit")
        payload, padding = raw[pos + 4:pos + size], raw[pos + size:end]
        if padding.strip(b"\0"):
            raise Invalid(f"{path}: non-zero block padding at {pos + size}")
        if adb is None and kind != BLOCK_ADB:
            raise Invalid(f"{path}: the first block must be the ADB block")
        if kind == BLOCK_ADB:
            if adb is not None:
                raise Invalid(f"{path}: a second ADB block at {pos}")
            adb = payload
        elif kind == BLOCK_SIG:
            if data:
                raise Invalid(f"{path}: signature block after data at {pos}")
            sigs.append(payload)
        else:
            data.append(payload)
        pos = end
    if adb is None:
        raise Invalid(f"{path}: no ADB block")
    return schema, adb, sigs, data


def script_ok(name, text, where):
    if not text.startswith("#!/bin/sh\n"):
        raise Invalid(f"{where}: {name} does not start with #!/bin/sh")
    with tempfile.NamedTemporaryFile("w", suffix=".sh") as fh:
        fh.write(text)
        fh.flush()
        r = subprocess.run(["sh", "-n", fh.name], capture_output=True, text=True)
    if r.returncode:
        raise Invalid(f"{where}: {name} is not valid sh: {r.stderr.strip()}")


def check_package(path):
    schema, adb, sigs, data = open_container(path)
    if schema != SCHEMA_PACKAGE:
        raise Invalid(f"{path}: schema {schema:#x}, expected 'pckg'")
    r = Reader(adb)
    pkg = r.decode(r.root, PACKAGE, "package")
    info = pkg.get("info") or {}
    for required in ("name", "version", "arch", "hashes", "installed-size"):
        if required not in info:
            raise Invalid(f"{path}: info has no {required}")
    uid = info["hashes"]
    zeroed = bytearray(adb)
    at = read_uid_offset(adb)
    if len(uid) != UID_LEN:
        raise Invalid(f"{path}: unique id is {len(uid)} bytes, expected {UID_LEN}")
    zeroed[at:at + UID_LEN] = bytes(UID_LEN)
    if hashlib.sha256(zeroed).digest()[:UID_LEN] != uid:
        raise Invalid(f"{path}: the unique id is not the SHA-256 of the ADB block")
    files, dirs, expected_data, total = [], [], [], 0
    previous = None
    for pi, d in enumerate(pkg.get("paths", []), start=1):
        name = d.get("name", "")
        if previous is not None and name.encode() <= previous.encode():
            raise Invalid(f"{path}: directories out of order: '{previous}' then '{name}'")
        previous = name
        acl = d.get("acl")
        if not acl or "mode" not in acl:
            raise Invalid(f"{path}: directory '{name}' has no mode")
        mode_ok(path, "/" + name, acl["mode"])
        dirs.append({"path": "/" + name, "mode": oct(acl["mode"]), "user": acl.get("user"), "group": acl.get("group")})
        before = None
        for fi, f in enumerate(d.get("files", []), start=1):
            fname = f.get("name")
            if not fname or "/" in fname:
                raise Invalid(f"{path}: bad file name {fname!r} in '{name}'")
            if before is not None and fname.encode() <= before.encode():
                raise Invalid(f"{path}: files out of order in '{name}': '{before}' then '{fname}'")
            before = fname
            full = f"/{name}/{fname}" if name else f"/{fname}"
            acl = f.get("acl") or {}
            if "mode" not in acl:
                raise Invalid(f"{path}: {full} has no mode")
            if "target" not in f:  # a symlink's own mode is always 0777 and means nothing
                mode_ok(path, full, acl["mode"])
            size = f.get("size", 0)
            entry = {"path": full, "mode": oct(acl["mode"]), "user": acl.get("user"), "group": acl.get("group"),
                     "size": size}
            if "target" in f:
                t = f["target"]
                if len(t) < 3 or struct.unpack_from("<H", t)[0] != stat.S_IFLNK:
                    raise Invalid(f"{path}: {full} has a target that is not a symlink")
                entry["target"] = t[2:].decode()
            else:
                digest = f.get("hash")
                if not digest or len(digest) != 32:
                    raise Invalid(f"{path}: {full} has no SHA-256")
                entry["sha256"] = digest.hex()
                total += size
                if size:
                    expected_data.append((pi, fi, size, digest, full))
            files.append(entry)
    if total != info["installed-size"] and not (total == 0 and info["installed-size"] == 1):
        raise Invalid(f"{path}: installed-size {info['installed-size']}, files add up to {total}")
    if len(data) != len(expected_data):
        raise Invalid(f"{path}: {len(data)} data blocks for {len(expected_data)} non-empty files")
    for blk, (pi, fi, size, digest, full) in zip(data, expected_data):
        if len(blk) < 8 or struct.unpack_from("<II", blk) != (pi, fi):
            raise Invalid(f"{path}: data block for {full} has the wrong path/file index")
        content = blk[8:]
        if len(content) != size:
            raise Invalid(f"{path}: {full}: data block of {len(content)} bytes, size says {size}")
        if hashlib.sha256(content).digest() != digest:
            raise Invalid(f"{path}: {full}: content does not match its SHA-256")
    scripts = pkg.get("scripts", {})
    for name, text in scripts.items():
        script_ok(name, text, path)
    summary = {k: v for k, v in info.items() if k != "hashes"}
    summary["depends"] = [d["name"] for d in info.get("depends", [])]
    summary["unique-id"] = uid.hex()
    summary["identity"] = hashlib.sha256(adb).hexdigest()
    return {"package": summary, "dirs": dirs, "files": files, "scripts": scripts, "signatures": len(sigs)}


def mode_ok(path, name, mode):
    if mode & ~0o7777:
        raise Invalid(f"{path}: {name}: mode {mode:o} has file-type bits")
    if mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX):
        raise Invalid(f"{path}: {name}: set-id or sticky bit ({mode:o})")
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise Invalid(f"{path}: {name}: writable by group or others ({mode:o})")


def check_index(path, key):
    schema, adb, sigs, data = open_container(path)
    if schema != SCHEMA_INDEX:
        raise Invalid(f"{path}: schema {schema:#x}, expected 'indx'")
    if data:
        raise Invalid(f"{path}: an index carries no data blocks")
    r = Reader(adb)
    ndx = r.decode(r.root, INDEX, "index")
    here = os.path.dirname(path)
    listed = []
    for p in ndx.get("packages", []):
        for required in ("name", "version", "arch", "hashes", "file-size", "installed-size"):
            if required not in p:
                raise Invalid(f"{path}: entry {p.get('name')} has no {required}")
        file = os.path.join(here, f"{p['name']}-{p['version']}.apk")
        if not os.path.exists(file):
            raise Invalid(f"{path}: lists {os.path.basename(file)}, which is not beside it")
        if os.path.getsize(file) != p["file-size"]:
            raise Invalid(f"{path}: {os.path.basename(file)} is {os.path.getsize(file)} bytes, index says {p['file-size']}")
        _, pkg_adb, _, _ = open_container(file)
        if hashlib.sha256(pkg_adb).digest() != p["hashes"]:
            raise Invalid(f"{path}: {os.path.basename(file)}: ADB block SHA-256 differs from the index")
        listed.append({"name": p["name"], "version": p["version"], "arch": p["arch"],
                       "depends": [d["name"] for d in p.get("depends", [])], "file-size": p["file-size"]})
    on_disk = sorted(f for f in os.listdir(here) if f.endswith(".apk"))
    names = sorted(f"{p['name']}-{p['version']}.apk" for p in listed)
    if on_disk != names:
        raise Invalid(f"{path}: index lists {names}, directory holds {on_disk}")
    if key:
        if not any(verify_signature(key, adb, s) for s in sigs):
            raise Invalid(f"{path}: no signature by {key} verifies")
    return {"index": ndx.get("description"), "packages": listed, "signatures": len(sigs)}


# ---- signatures (adb.c: adb_trust_write_signatures / adb_digest_v0_signature) ---------------

def der_items(b):
    """The (tag, content) items of a DER sequence's contents."""
    out, pos = [], 0
    while pos < len(b):
        tag, n = b[pos], b[pos + 1]
        pos += 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(b[pos:pos + k], "big")
            pos += k
        out.append((tag, b[pos:pos + n]))
        pos += n
    return out


def key_id(key, private):
    """apk's key id: the first 16 bytes of the SHA-512 of i2d_PublicKey, which is the contents
    of the SubjectPublicKeyInfo's BIT STRING (the EC point, or PKCS#1 RSAPublicKey)."""
    args = ["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"] + ([] if private else ["-pubin"])
    spki = subprocess.run(args, capture_output=True, check=True).stdout
    (_, seq), = der_items(spki)
    _, bits = der_items(seq)[1]
    return hashlib.sha512(bits[1:]).digest()[:16]


def signed_message(schema, header, adb):
    return struct.pack("<I", schema) + header + hashlib.sha512(adb).digest()


def sign(key, schema, adb):
    header = bytes([0, DIGEST_SHA512]) + key_id(key, private=True)
    with tempfile.NamedTemporaryFile() as msg:
        msg.write(signed_message(schema, header, adb))
        msg.flush()
        sig = subprocess.run(["openssl", "dgst", "-sha512", "-sign", key, msg.name],
                             capture_output=True, check=True).stdout
    return header + sig


def verify_signature(pub, adb, sig):
    if len(sig) < 18 or sig[0] != 0 or sig[1] != DIGEST_SHA512 or sig[2:18] != key_id(pub, private=False):
        return False
    with tempfile.NamedTemporaryFile() as msg, tempfile.NamedTemporaryFile() as s:
        msg.write(signed_message(SCHEMA_INDEX, sig[:18], adb))
        msg.flush()
        s.write(sig[18:])
        s.flush()
        r = subprocess.run(["openssl", "dgst", "-sha512", "-verify", pub, "-signature", s.name, msg.name],
                           capture_output=True)
    return r.returncode == 0


# ---- index ----------------------------------------------------------------------------------

def version_key(v):
    """Enough of apk's version order for sorting an index: numeric parts, then -rN."""
    main, _, rel = v.partition("-r")
    return [int(x) if x.isdigit() else x for x in re.split(r"[._]", main)], int(rel or 0)


def index(paths, description, key, output):
    entries = []
    for p in paths:
        _, adb, _, _ = open_container(p)
        r = Reader(adb)
        info = r.decode(r.slot(r.root, 1), PKGINFO, f"{p}: info")
        info["hashes"] = hashlib.sha256(adb).digest()  # mkndx: the identity replaces the unique id
        info["file-size"] = os.path.getsize(p)
        entries.append(info)
    # adb_wa_sort over the pkginfo objects: name, version, then the hashes.
    entries.sort(key=lambda e: (e["name"].encode(), version_key(e["version"]), e["hashes"]))
    w = Writer()
    items = []
    for e in entries:
        values = {}
        for i, (name, kind) in sorted(PKGINFO[1].items()):
            if name not in e:
                continue
            v = e[name]
            if kind == DEPENDENCIES:
                values[i] = dependencies(w, " ".join(d["name"] for d in v))
            elif kind == "int":
                values[i] = w.int(v)
            elif isinstance(kind, tuple):
                raise Invalid(f"{e['name']}: cannot index a package with {name}")
            else:
                values[i] = w.blob(v)
        items.append(w.obj(values))
    w.root(w.obj({1: w.blob(description), 2: w.arr(items)}))
    adb = bytes(w.buf)
    container = MAGIC + struct.pack("<I", SCHEMA_INDEX) + block(BLOCK_ADB, adb)
    if key:
        container += block(BLOCK_SIG, sign(key, SCHEMA_INDEX, adb))
    with open(output, "wb") as fh:
        fh.write(deflated(container))


# ---- extract --------------------------------------------------------------------------------

def extract(path, root, scripts_dir):
    report = check_package(path)
    _, adb, _, data = open_container(path)
    contents = {}
    r = Reader(adb)
    pkg = r.decode(r.root, PACKAGE, "package")
    blocks = iter(data)
    for d in pkg.get("paths", []):
        for f in d.get("files", []):
            if "target" not in f and f.get("size", 0):
                contents[(d.get("name", ""), f["name"])] = next(blocks)[8:]
    for d in report["dirs"]:
        full = os.path.join(root, d["path"].lstrip("/"))
        os.makedirs(full, exist_ok=True)
        os.chmod(full, int(d["mode"], 8))
    for f in report["files"]:
        full = os.path.join(root, f["path"].lstrip("/"))
        if os.path.lexists(full):
            os.unlink(full)
        if "target" in f:
            os.symlink(f["target"], full)
            continue
        dirname, name = os.path.split(f["path"].lstrip("/"))
        with open(full, "wb") as fh:
            fh.write(contents.get((dirname, name), b""))
        os.chmod(full, int(f["mode"], 8))
    if scripts_dir:
        os.makedirs(scripts_dir, exist_ok=True)
        for name, text in report["scripts"].items():
            with open(os.path.join(scripts_dir, name), "w") as fh:
                fh.write(text)
            os.chmod(os.path.join(scripts_dir, name), 0o755)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--files", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--info", action="append", default=[])
    p.add_argument("--script", action="append", default=[])
    i = sub.add_parser("index")
    i.add_argument("--output", required=True)
    i.add_argument("--description", default="")
    i.add_argument("--sign-key")
    i.add_argument("packages", nargs="+")
    c = sub.add_parser("check")
    c.add_argument("--json", action="store_true")
    c.add_argument("--key")
    c.add_argument("files", nargs="+")
    x = sub.add_parser("extract")
    x.add_argument("package")
    x.add_argument("root")
    x.add_argument("--scripts")
    a = ap.parse_args()
    try:
        if a.cmd == "pack":
            info = {}
            for kv in a.info:
                k, sep, v = kv.partition(":")
                if not sep or k not in PKGINFO_FROM_TEXT:
                    raise Invalid(f"--info {kv!r}: expected one of {', '.join(PKGINFO_FROM_TEXT)} as KEY:VALUE")
                info[k] = v
            scripts = {}
            for kv in a.script:
                k, sep, v = kv.partition(":")
                if not sep or k not in SCRIPT_NAMES:
                    raise Invalid(f"--script {kv!r}: expected TYPE:FILE, TYPE one of {', '.join(SCRIPT_NAMES)}")
                with open(v, "rb") as fh:
                    scripts[k] = fh.read()
            epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
            pack(a.files, info, scripts, epoch, a.output)
        elif a.cmd == "index":
            index(a.packages, a.description, a.sign_key, a.output)
        elif a.cmd == "check":
            reports = []
            for f in a.files:
                schema = open_container(f)[0]
                reports.append(check_index(f, a.key) if schema == SCHEMA_INDEX else check_package(f))
                if not a.json:
                    print(f"ok {f}")
            if a.json:
                json.dump(reports if len(reports) > 1 else reports[0], sys.stdout, indent=1)
                print()
        else:
            extract(a.package, a.root, a.scripts)
    except (Invalid, OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
