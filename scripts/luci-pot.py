#!/usr/bin/env python3
"""Write openwrt-package/luci-app-edgeddns/po/templates/edgeddns.pot with every string the page
shows: what LuCI's i18n scan extracts (each _('...') in the views, the menu titles of menu.d and
the descriptions of acl.d), plus the provider catalogue's field help and labels, which the page
translates at run time with _(help). The catalogue is read from the daemon itself
(`edgeddns providers --json`, built with cargo unless --providers FILE gives its output).
With --check, exit 1 when the committed template is out of date."""
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "openwrt-package/luci-app-edgeddns"
POT = APP / "po/templates/edgeddns.pot"
# _('...') or _("..."), with JS escapes inside.
CALL = re.compile(r"""\b_\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\)""")


def unescape(s):
    return re.sub(r"\\(.)", lambda m: m.group(1), s)


def po_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def catalogue(argv):
    if "--providers" in argv:
        text = Path(argv[argv.index("--providers") + 1]).read_text()
    else:
        text = subprocess.run(["cargo", "run", "--quiet", "--bin", "edgeddns", "--", "providers", "--json"],
                              cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(text)["providers"]


def render(argv):
    seen = {}

    def add(msg, ref):
        seen.setdefault(msg, []).append(ref)

    for path in sorted((APP / "htdocs").rglob("*.js")):
        text = path.read_text()
        for m in CALL.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            add(unescape(m.group(1) if m.group(1) is not None else m.group(2)), f"{path.relative_to(APP)}:{line}")
    for path in sorted((APP / "root/usr/share/luci/menu.d").glob("*.json")):
        for node in json.loads(path.read_text()).values():
            if node.get("title"):
                add(node["title"], str(path.relative_to(APP)))
    for path in sorted((APP / "root/usr/share/rpcd/acl.d").glob("*.json")):
        for group in json.loads(path.read_text()).values():
            if group.get("description"):
                add(group["description"], str(path.relative_to(APP)))
    for p in catalogue(argv):
        for f in p["fields"]:
            add(f.get("label") or f["help"], f"catalogue field {f['name']}")
    out = ['msgid ""', 'msgstr "Content-Type: text/plain; charset=UTF-8"', ""]
    for msg, refs in seen.items():
        out += [f"#: {r}" for r in dict.fromkeys(refs)] + [f"msgid {po_quote(msg)}", 'msgstr ""', ""]
    return "\n".join(out)


def main():
    text = render(sys.argv)
    if "--check" in sys.argv:
        if not POT.exists() or POT.read_text() != text:
            print(f"{POT} is out of date: run scripts/luci-pot.py", file=sys.stderr)
            return 1
        return 0
    POT.parent.mkdir(parents=True, exist_ok=True)
    POT.write_text(text)
    print(f"{POT}: {text.count('msgid ') - 1} strings")
    return 0


sys.exit(main())
