"""Emit the C source of the cffi extension module ``pygraph._native``.

usage: gen_cffi_source.py HEADER OUTPUT_C

The cffi declarations are derived from the public header itself, so the C
contract is written once: comments are dropped, the C++ and visibility
blocks are skipped, integer ``#define`` constants are kept (an expression
becomes ``#define NAME ...``: cffi's API mode reads its value from the
compiled header) and the
``PYGRAPH_API`` marker is removed.  Everything else in the header must be a
declaration cffi can parse — the build fails loudly if it is not.
"""

import re
import sys

import cffi

# Preprocessor blocks whose content is for C compilers only.
_SKIPPED_BLOCKS = ("#ifdef __cplusplus", "#ifndef PYGRAPH_API")
_INT_DEFINE = re.compile(r"#define\s+(PYGRAPH_[A-Z0-9_]+)\s+(.+)")
_PLAIN_INT = re.compile(r"-?[0-9]+")
# The name cffi's module init is given (pygraph/_native_init.c calls it).
CFFI_INIT = "pygraph_cffi_module_init"


def cdef_from_header(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    lines, depth, skipping = [], 0, 0
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            directive = " ".join(stripped.split())
            if directive.startswith("#if"):
                depth += 1
                if not skipping and directive in _SKIPPED_BLOCKS:
                    skipping = depth
            elif directive.startswith("#endif"):
                if skipping == depth:
                    skipping = 0
                depth -= 1
            elif not skipping:
                match = _INT_DEFINE.match(directive)
                if match:
                    # A plain integer is kept (array lengths need the value
                    # in the cdef); an expression is read from the header.
                    name, value = match.group(1), match.group(2).strip()
                    lines.append(f"#define {name} {value if _PLAIN_INT.fullmatch(value) else '...'}")
            continue
        if not skipping:
            lines.append(line.replace("PYGRAPH_API ", ""))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    header, output = argv[1], argv[2]
    with open(header, encoding="utf-8") as f:
        cdef = cdef_from_header(f.read())
    ffi = cffi.FFI()
    ffi.cdef(cdef)
    # cffi's module init is renamed: pygraph/_native_init.c defines the real
    # PyInit__native, which calls it and adds the hand-written fast call.
    ffi.set_source("pygraph._native", f'#include "pygraph/pygraph.h"\n#define PyInit__native {CFFI_INIT}')
    ffi.emit_c_code(output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
