#!/usr/bin/python3
"""oidc_server - start the real OpenID provider (tests/oidc/server.mjs on
oidc-provider 9.13.3) with the command line of the Python fakes, so
tests/unit/support/fakesrv.c can run it like any fake:

    oidc_server.py --cert PEM --key PEM --port-file FILE [server.mjs options]

Exits 77 (skip) when node or `npm ci` in tests/oidc (make deps) is missing.
"""

import os
import shutil
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OIDC = os.path.join(ROOT, "tests", "oidc")

node = shutil.which("node")
if node is None or not os.path.isdir(os.path.join(OIDC, "node_modules", "oidc-provider")):
    sys.stderr.write("oidc_server: node or tests/oidc/node_modules missing (run make deps)\n")
    sys.exit(77)
os.execv(node, [node, os.path.join(OIDC, "server.mjs")] + sys.argv[1:])
