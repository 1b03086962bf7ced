"""Re-create the vendored JavaScript Graphviz in autograd_engine/viz/vendor/ from the npm registry.

The HTML step-through (``save_html``) and the notebook display without a ``dot`` program
lay graphs out in the browser with ``@hpcc-js/wasm-graphviz``: Graphviz compiled to
WebAssembly, one ES module of about 800 KB with the WebAssembly inlined. This script
fetches the pinned version with ``npm pack``, checks the tarball against the integrity hash
pinned here and the module against its pinned SHA-256, and copies
the module and the package's licence into the package. Run it from the repository root:

    python scripts/vendor_js.py

It needs Node.js's ``npm`` and the npm registry; the library itself never does.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@hpcc-js/wasm-graphviz"
VERSION = "1.29.2"
#: npm's integrity hash of the tarball (``npm view @hpcc-js/wasm-graphviz@1.29.2 dist.integrity``)
INTEGRITY = "sha512-AkArBAZERT5OxH52/+kvCHB07cZ6ZNd9GnOvjw+S880bR88D6i27XfK6xj4dBhUDxNA2QPPMdgEcky3x4TJ3KA=="
#: SHA-256 of package/dist/index.js, the file vendored as wasm-graphviz.js
MODULE_SHA256 = "550d9cd6ff429f5bd225316fe1faed4f852038c3e1ec609ce113af1f9379ce25"

VENDOR = Path(__file__).resolve().parent.parent / "autograd_engine" / "viz" / "vendor"

NOTICE = f"""# Vendored JavaScript

`wasm-graphviz.js` is `package/dist/index.js` of the npm package `{PACKAGE}` version {VERSION}
(https://www.npmjs.com/package/@hpcc-js/wasm-graphviz, https://github.com/hpcc-systems/hpcc-js-wasm),
unchanged. SHA-256 `{MODULE_SHA256}`.
It is Graphviz compiled to WebAssembly; the HTML step-through and the notebook display without a
`dot` program inline it so that graphs are laid out in the browser, offline.

Licences:
- `{PACKAGE}`: Apache License 2.0, copyright HPCC Systems; the full text is `LICENSE-wasm-graphviz.txt`.
- Graphviz (compiled into the module): Eclipse Public License 1.0, https://graphviz.org/license/.

Re-create these files with `python scripts/vendor_js.py` (needs npm).
"""


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", tmp],
                       check=True, cwd=tmp, stdout=subprocess.DEVNULL)
        (tarball,) = Path(tmp).glob("*.tgz")
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if integrity != INTEGRITY:
            print(f"{PACKAGE}@{VERSION}: the tarball's integrity is {integrity}, expected {INTEGRITY}",
                  file=sys.stderr)
            return 1
        with tarfile.open(tarball) as tar:
            module = tar.extractfile("package/dist/index.js").read()
            licence = tar.extractfile("package/LICENSE").read()
    digest = hashlib.sha256(module).hexdigest()
    if digest != MODULE_SHA256:
        print(f"{PACKAGE}@{VERSION}: dist/index.js has SHA-256 {digest}, expected {MODULE_SHA256}", file=sys.stderr)
        return 1
    VENDOR.mkdir(parents=True, exist_ok=True)
    (VENDOR / "wasm-graphviz.js").write_bytes(module)
    (VENDOR / "LICENSE-wasm-graphviz.txt").write_bytes(licence)
    (VENDOR / "README.md").write_text(NOTICE, encoding="utf-8")
    print(f"vendored {PACKAGE}@{VERSION} into {VENDOR}")
    return 0


if __name__ == "__main__":
    if shutil.which("npm") is None:
        sys.exit("npm is not installed: install Node.js (https://nodejs.org) to re-create the vendored files")
    sys.exit(main())
