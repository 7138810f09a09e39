#!/usr/bin/env python3
"""Write openwrt-package/luci-app-edgeddns/po/templates/edgeddns.pot from every _('...') string in the LuCI view.
With --check, exit 1 when the committed template is out of date."""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEWS = ROOT / "openwrt-package/luci-app-edgeddns/htdocs/luci-static/resources/view/edgeddns"
POT = ROOT / "openwrt-package/luci-app-edgeddns/po/templates/edgeddns.pot"
# _('...') or _("..."), with JS escapes inside.
CALL = re.compile(r"""\b_\(\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\)""")


def unescape(s):
    return re.sub(r"\\(.)", lambda m: m.group(1), s)


def po_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render():
    seen = {}
    for path in sorted(VIEWS.glob("*.js")):
        text = path.read_text()
        for m in CALL.finditer(text):
            msg = unescape(m.group(1) if m.group(1) is not None else m.group(2))
            line = text.count("\n", 0, m.start()) + 1
            seen.setdefault(msg, []).append(f"{path.relative_to(ROOT / 'openwrt-package/luci-app-edgeddns')}:{line}")
    out = ['msgid ""', 'msgstr "Content-Type: text/plain; charset=UTF-8"', ""]
    for msg, refs in seen.items():
        out += [f"#: {r}" for r in refs] + [f"msgid {po_quote(msg)}", 'msgstr ""', ""]
    return "\n".join(out)


def main():
    text = render()
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
