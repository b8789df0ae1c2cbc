"""Emit the C source of the cffi extension ``pygraph.benchmarks._copy_limit``.

usage: gen_copy_limit_cffi.py GEN_CFFI_SOURCE_PY HEADER OUTPUT_C

The declarations come from benchmarks/copy_limit.h through the same
header-to-cdef translation that builds ``pygraph._native``
(native/tools/gen_cffi_source.py, passed as the first argument so that
meson tracks it), so the copy-limit contract is written once too.
"""

import importlib.util
import sys

import cffi


def load_cdef_translator(path: str):
    spec = importlib.util.spec_from_file_location("gen_cffi_source", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cdef_from_header


def main(argv: list[str]) -> int:
    translator, header, output = argv[1], argv[2], argv[3]
    cdef_from_header = load_cdef_translator(translator)
    with open(header, encoding="utf-8") as f:
        cdef = cdef_from_header(f.read())
    ffi = cffi.FFI()
    ffi.cdef(cdef)
    ffi.set_source("pygraph.benchmarks._copy_limit", '#include "copy_limit.h"')
    ffi.emit_c_code(output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
