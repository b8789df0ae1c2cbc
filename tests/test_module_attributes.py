"""What the package exports (python-zstandard style): the public names, their
docstrings, and that the C facts are read from the library."""

from __future__ import annotations

import importlib.metadata
import inspect

import pygraph

EXPECTED_PUBLIC = {
    "__version__",
    "Engine",
    "Stream",
    "LogicalTensor",
    "Op",
    "Graph",
    "Partition",
    "CompiledPartition",
    "Tensor",
    "DataType",
    "LayoutType",
    "PropertyType",
    "EngineKind",
    "OpKind",
    "PartitionPolicy",
    "MAX_NDIMS",
    "UNKNOWN_DIM",
    "Error",
    "InvalidArgumentsError",
    "InvalidDataTypeError",
    "InvalidShapeError",
    "InvalidGraphOpError",
    "InvalidGraphError",
    "UnimplementedError",
    "OutOfMemoryError",
    "leaky_relu",
    "schema",
    "list_schemas",
    "load",
    "loads",
    "dump",
    "validate",
    "validates",
    "Problem",
    "GraphFileError",
    "cpu_features",
    "cpu_isa",
    "set_max_cpu_isa",
    "kernel_name",
    "get_num_threads",
    "set_num_threads",
}


def test_all_lists_exactly_the_public_api():
    assert set(pygraph.__all__) == EXPECTED_PUBLIC
    assert len(pygraph.__all__) == len(EXPECTED_PUBLIC)  # no duplicates
    for name in pygraph.__all__:
        assert hasattr(pygraph, name), name


def test_every_public_name_has_a_docstring():
    for name in pygraph.__all__:
        obj = getattr(pygraph, name)
        if callable(obj):
            assert inspect.getdoc(obj), f"{name} has no docstring"


def test_every_public_method_and_property_has_a_docstring():
    for name in ("Engine", "Stream", "LogicalTensor", "Op", "Graph", "Partition", "CompiledPartition", "Tensor"):
        cls = getattr(pygraph, name)
        for attr, member in vars(cls).items():
            if attr.startswith("_"):
                continue
            if isinstance(member, (property, classmethod, staticmethod)) or inspect.isfunction(member):
                assert inspect.getdoc(member), f"{name}.{attr} has no docstring"


def test_version_is_the_native_library_version_and_the_distribution_version():
    assert pygraph.__version__ == pygraph._ffi.string(pygraph._lib.pygraph_version()).decode()
    assert pygraph.__version__ == importlib.metadata.version("pygraph")


def test_constants_come_from_the_header():
    assert pygraph.MAX_NDIMS == 12
    assert pygraph.UNKNOWN_DIM == -(2**63)


def test_py_typed_marker_is_installed():
    import pathlib

    assert (pathlib.Path(pygraph.__file__).parent / "py.typed").is_file()


def test_the_source_tree_is_not_what_the_tests_import():
    # The compiled module must be importable: tests run against the install.
    from pygraph import _native

    assert hasattr(_native, "lib")
