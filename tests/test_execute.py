"""CompiledPartition.execute and cp(x): Tensors and plain arrays, every refusal
leaving the outputs untouched, strided memory used in place, bf16, DLPack."""

from __future__ import annotations

import array as pyarray

import ml_dtypes
import numpy as np
import pytest

import pygraph
from pygraph import LogicalTensor, Tensor

from pygraph import reference
from builders import compile_for

SENTINEL = 1792.0  # exact in f32, bf16 and f16


def setup(shape=(2, 3), dtype=np.float32, alpha=0.5):
    x = (np.arange(np.prod(shape), dtype=np.float32).reshape(shape) - 3).astype(dtype)
    compiled = compile_for(x, [alpha])
    return compiled, x


def sentinel_like(x):
    return np.full(x.shape, SENTINEL, x.dtype)


def untouched(y):
    return bool(np.all(y.astype(np.float32) == SENTINEL))


def test_plain_arrays_in_port_order(stream):
    compiled, x = setup()
    y = sentinel_like(x)
    assert compiled.execute(stream, [x], [y]) is None
    assert reference.same_bits(y, reference.leaky_relu(x, 0.5))


def test_default_stream_when_none():
    compiled, x = setup()
    y = sentinel_like(x)
    compiled.execute(None, [x], [y])
    assert reference.same_bits(y, reference.leaky_relu(x, 0.5))


def test_tensors_are_matched_by_id(engine, stream):
    compiled, x = setup()
    src, dst = compiled.inputs[0], compiled.outputs[0]
    y = sentinel_like(x)
    tx, ty = Tensor(src, engine, x), Tensor(dst, engine, y)
    compiled.execute(stream, [tx], [ty])
    assert reference.same_bits(y, reference.leaky_relu(x, 0.5))
    assert tx.data is x and tx.logical_tensor == src and tx.engine is engine
    assert tx.data_ptr == x.__array_interface__["data"][0]
    # a Tensor of the wrong port is refused, naming the ids
    y[...] = SENTINEL
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        compiled.execute(stream, [Tensor(LogicalTensor(7, "f32", (2, 3)), engine, x)], [ty])
    assert "7" in str(info.value)
    assert untouched(y)


def test_tensor_and_plain_array_mix(stream):
    compiled, x = setup()
    y = sentinel_like(x)
    compiled.execute(stream, [Tensor(compiled.inputs[0], None, x)], [y])
    assert reference.same_bits(y, reference.leaky_relu(x, 0.5))


def test_raw_buffers_in_tensors(engine, stream):
    compiled, x = setup()
    src, dst = compiled.inputs[0], compiled.outputs[0]
    raw_in = bytearray(x.tobytes())
    raw_out = bytearray(dst.mem_size + 8)
    compiled.execute(stream, [Tensor(src, engine, raw_in)], [Tensor(dst, engine, raw_out)])
    got = np.frombuffer(bytes(raw_out[: dst.mem_size]), np.float32).reshape(x.shape)
    assert reference.same_bits(got, reference.leaky_relu(x, 0.5))
    assert raw_out[dst.mem_size:] == bytearray(8)
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        Tensor(dst, engine, bytearray(dst.mem_size - 1))
    assert f"{dst.mem_size - 1} bytes" in str(info.value) and f"{dst.mem_size} bytes" in str(info.value)


def test_raw_buffer_with_negative_strides_starts_at_the_lowest_element(engine, stream):
    memory = np.arange(-3, 3, dtype=np.float32)
    src = LogicalTensor(0, "f32", (6,), strides=(-1,))
    raw = bytearray(memory.tobytes())  # byte 0 holds element 5 of the tensor
    compiled = compile_for(memory[::-1], [0.5])
    y = np.empty(6, np.float32)
    compiled.execute(stream, [Tensor(src, engine, raw)], [y])
    assert reference.same_bits(y, reference.leaky_relu(memory[::-1].copy(), 0.5))


def test_readonly_raw_buffer_is_an_input_only(engine, stream):
    compiled, x = setup()
    src, dst = compiled.inputs[0], compiled.outputs[0]
    readonly_in = Tensor(src, engine, x.tobytes())
    assert readonly_in.readonly
    y = sentinel_like(x)
    compiled.execute(stream, [readonly_in], [y])
    assert reference.same_bits(y, reference.leaky_relu(x, 0.5))
    readonly_out = Tensor(dst, engine, bytes(dst.mem_size))
    for inputs in ([x], [readonly_in], (readonly_in,)):  # Tensor to Tensor is the fastest path: checked too
        with pytest.raises(pygraph.InvalidArgumentsError) as info:
            compiled.execute(stream, inputs, [readonly_out])
        assert "read-only" in str(info.value)


def test_tensor_construction_checks(engine):
    lt = LogicalTensor(0, "f32", (2, 3))
    with pytest.raises(pygraph.InvalidDataTypeError):
        Tensor(lt, engine, np.zeros((2, 3), np.float16))
    with pytest.raises(pygraph.InvalidShapeError) as info:
        Tensor(lt, engine, np.zeros((3, 2), np.float32))
    assert "(3, 2)" in str(info.value) and "(2, 3)" in str(info.value)
    with pytest.raises(pygraph.InvalidShapeError) as info:
        Tensor(lt, engine, np.zeros((3, 2), np.float32).T)
    assert "strides" in str(info.value)
    with pytest.raises(pygraph.InvalidShapeError):
        Tensor(LogicalTensor(0, "f32", (2, -1)), engine, np.zeros((2, 3), np.float32))
    with pytest.raises(pygraph.InvalidShapeError):
        Tensor(LogicalTensor(0, "f32", (2, 3), "any"), engine, np.zeros((2, 3), np.float32))
    with pytest.raises(pygraph.InvalidArgumentsError):
        Tensor(lt, engine, [0.0] * 6)
    with pytest.raises(pygraph.InvalidArgumentsError):
        Tensor("lt", engine, np.zeros((2, 3), np.float32))
    # strides of extent-1 dims are never compared
    one_row = LogicalTensor(1, "f32", (1, 3), strides=(99, 1))
    Tensor(one_row, engine, np.zeros((1, 3), np.float32))
    assert "Tensor(logical_tensor=LogicalTensor(id=1" in repr(Tensor(one_row, None, np.zeros((1, 3), np.float32)))


REFUSALS = [
    ("wrong dtype", lambda x: [x.astype(np.float16)], pygraph.InvalidDataTypeError, ["input 0", "f16", "f32"]),
    ("float64", lambda x: [x.astype(np.float64)], pygraph.InvalidDataTypeError, ["float64"]),
    ("wrong shape", lambda x: [x.reshape(3, 2)], pygraph.InvalidShapeError, ["[3, 2]", "[2, 3]"]),
    ("wrong strides", lambda x: [np.asfortranarray(x)], pygraph.InvalidShapeError, ["stride"]),
    ("missing input", lambda x: [], pygraph.InvalidArgumentsError, ["input"]),
    ("extra input", lambda x: [x, x], pygraph.InvalidArgumentsError, ["input 1"]),
    ("a list", lambda x: [x.tolist()], pygraph.InvalidArgumentsError, ["list"]),
]


@pytest.mark.parametrize("name, make_inputs, error, words", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_input_refusals_leave_the_output_untouched(stream, name, make_inputs, error, words):
    compiled, x = setup()
    y = sentinel_like(x)
    with pytest.raises(error) as info:
        compiled.execute(stream, make_inputs(x), [y])
    for word in words:
        assert word in str(info.value), str(info.value)
    assert untouched(y)


def test_output_refusals_leave_the_output_untouched(stream):
    compiled, x = setup()
    cases = []
    readonly = sentinel_like(x)
    readonly.flags.writeable = False
    cases.append((readonly, pygraph.InvalidArgumentsError, "read-only"))
    cases.append((sentinel_like(x).astype(ml_dtypes.bfloat16), pygraph.InvalidDataTypeError, "bf16"))
    cases.append((np.full((6,), SENTINEL, np.float32), pygraph.InvalidShapeError, "[6]"))
    wide = np.full((2, 6), SENTINEL, np.float32)
    cases.append((wide[:, ::2], pygraph.InvalidShapeError, "stride"))
    for y, error, word in cases:
        with pytest.raises(error) as info:
            compiled.execute(stream, [x], [y])
        assert word in str(info.value), str(info.value)
        assert untouched(y)
    assert np.all(wide == SENTINEL)
    y = sentinel_like(x)
    with pytest.raises(pygraph.InvalidArgumentsError):
        compiled.execute(stream, [x], [])
    with pytest.raises(pygraph.InvalidArgumentsError):
        compiled.execute(stream, [x], [y, y])
    with pytest.raises(pygraph.InvalidArgumentsError):
        compiled.execute(stream, [x], y)  # not a list
    assert untouched(y)


def test_numpy_scalars_are_read_only(stream):
    compiled = compile_for(np.zeros((), np.float32), [0.5])
    y = np.zeros((), np.float32)
    compiled.execute(stream, [np.float32(-4.0)], [y])
    assert y == -2.0
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        compiled.execute(stream, [y], [np.float32(1.0)])
    assert "read-only" in str(info.value)


def test_partial_overlap_is_refused_and_exact_aliasing_runs_in_place(stream):
    buffer = np.arange(-6, 7, dtype=np.float32)
    compiled = compile_for(buffer[0:12], [0.5], out=buffer[1:13])
    before = buffer.copy()
    with pytest.raises(pygraph.InvalidArgumentsError) as info:
        compiled.execute(stream, [buffer[0:12]], [buffer[1:13]])
    assert "overlap" in str(info.value)
    assert np.array_equal(buffer, before)
    x = np.arange(-6, 6, dtype=np.float32)
    expected = reference.leaky_relu(x, 0.5)
    in_place = compile_for(x, [0.5], out=x)
    in_place.execute(stream, [x], [x])
    assert reference.same_bits(x, expected)


def test_strided_inputs_are_used_in_place(engine, stream):
    base = np.arange(-30, 30, dtype=np.float32).reshape(6, 10)
    for view in (base[::2, ::3], base[::-1, ::-2], base.T, np.broadcast_to(base[:1], (4, 10)), base[:, 3:4]):
        compiled = compile_for(view, [0.25])
        y = compiled(view)
        assert reference.same_bits(y, reference.leaky_relu(np.ascontiguousarray(view), 0.25))
        tensor = Tensor(compiled.inputs[0], engine, view)
        assert tensor.data_ptr == view.__array_interface__["data"][0]  # no copy was made
        out = np.empty_like(y)
        compiled.execute(stream, [tensor], [out])
        assert reference.same_bits(out, y)


def test_strided_output_writes_only_its_elements(stream):
    x = np.arange(-6, 6, dtype=np.float32).reshape(3, 4)
    big = np.full((6, 8), SENTINEL, np.float32)
    out = big[::2, 1::2]
    compiled = compile_for(x, [0.5], out=out)
    compiled.execute(stream, [x], [out])
    assert reference.same_bits(out, reference.leaky_relu(x, 0.5))
    mask = np.ones_like(big, bool)
    mask[::2, 1::2] = False
    assert np.all(big[mask] == SENTINEL)


def test_negative_output_strides(stream):
    x = np.arange(-4, 4, dtype=np.float32)
    out_base = np.full(8, SENTINEL, np.float32)
    out = out_base[::-1]
    compiled = compile_for(x, [0.5], out=out)
    assert compiled(x, out=out) is out
    assert reference.same_bits(out, reference.leaky_relu(x, 0.5))
    fresh = compiled(x)  # allocated with the compiled (negative) layout
    assert fresh.strides == out.strides and reference.same_bits(fresh, out)


def test_call_checks_the_layout_of_arrays_that_are_not_c_contiguous():
    # cp(x, out=y) checks dtype and shape itself and leaves strides to
    # run_unary, which takes only C-contiguous buffers: an array of the
    # right shape laid out otherwise must reach the general path's refusal.
    compiled, x = setup(shape=(3, 4))
    wide = np.full((3, 8), SENTINEL, np.float32)
    for bad_x in (np.asfortranarray(x), np.repeat(x, 2, axis=1)[:, ::2]):
        y = sentinel_like(x)
        with pytest.raises(pygraph.InvalidShapeError, match="stride"):
            compiled(bad_x, out=y)
        assert untouched(y)
    for bad_out in (np.asfortranarray(sentinel_like(x)), wide[:, ::2]):
        with pytest.raises(pygraph.InvalidShapeError, match="stride"):
            compiled(x, out=bad_out)
        assert untouched(bad_out)
    in_place = compile_for(x, [0.5], out=x)
    fortran = np.asfortranarray(x)
    with pytest.raises(pygraph.InvalidShapeError, match="stride"):
        in_place(fortran, out=fortran)
    assert np.array_equal(fortran, x)
    # C-contiguous with an odd stride on an extent-1 dim: a stride that never
    # matters, so it runs (NumPy and pygraph agree that it is C-contiguous).
    compiled_column = compile_for(np.zeros((3, 1), np.float32), [0.5])
    source = np.arange(-1, 2, dtype=np.float32).reshape(3, 1)
    written = np.full((3, 1), SENTINEL, np.float32)
    odd_view = np.lib.stride_tricks.as_strided(written, strides=(4, 1000))
    assert odd_view.flags.c_contiguous and odd_view.strides != written.strides
    assert compiled_column(source, out=odd_view) is odd_view
    assert reference.same_bits(written, reference.leaky_relu(source, 0.5))


@pytest.mark.parametrize("dtype", [np.float32, ml_dtypes.bfloat16, np.float16])
def test_each_dtype(dtype, stream):
    compiled, x = setup(shape=(4, 5), dtype=dtype)
    y = np.empty_like(x)
    compiled.execute(stream, [x], [y])
    assert reference.same_bits(y, reference.leaky_relu(x, 0.5))
    assert compiled.outputs[0].dtype.name == {np.float32: "f32", ml_dtypes.bfloat16: "bf16", np.float16: "f16"}[dtype]


def test_call_forms():
    compiled, x = setup()
    y = compiled(x)
    assert type(y) is np.ndarray and y.dtype == x.dtype and y.shape == x.shape
    assert reference.same_bits(y, reference.leaky_relu(x, 0.5))
    out = sentinel_like(x)
    assert compiled(x, out=out) is out and reference.same_bits(out, y)
    expected = y.copy()
    assert compiled(x, out=x) is x and reference.same_bits(x, expected)


@pytest.mark.parametrize("dtype", [np.float32, ml_dtypes.bfloat16, np.float16])
def test_call_with_an_equal_but_distinct_dtype_object(dtype, stream):
    # cp(x) and leaky_relu's lean paths compare dtypes by identity; a dtype
    # that is equal without being NumPy's singleton (here: one carrying
    # metadata) must still run, through the general path, to the same bits.
    compiled, x = setup(dtype=dtype)
    distinct = np.dtype(dtype, metadata={"origin": "test"})
    assert distinct == x.dtype and distinct is not x.dtype
    x_distinct = x.view(distinct)
    expected = reference.leaky_relu(x, 0.5)
    for out in (sentinel_like(x), sentinel_like(x).view(distinct)):
        assert compiled(x_distinct, out=out) is out
        assert reference.same_bits(out.view(x.dtype), expected)
        assert reference.same_bits(pygraph.leaky_relu(x_distinct, 0.5, out=out).view(x.dtype), expected)
    assert reference.same_bits(compiled(x_distinct).view(x.dtype), expected)
    in_place = x_distinct.copy()
    assert compiled(in_place, out=in_place) is in_place
    assert reference.same_bits(in_place.view(x.dtype), expected)


def test_buffer_protocol_objects(stream):
    values = [-2.0, -1.0, 0.0, 1.0, 2.0]
    x = pyarray.array("f", values)
    y = pyarray.array("f", [0.0] * 5)
    compiled = compile_for(np.asarray(x), [0.5])
    compiled.execute(stream, [x], [y])
    assert list(y) == [-1.0, -0.5, 0.0, 1.0, 2.0]
    raw = bytearray(20)
    compiled.execute(stream, [memoryview(np.array(values, np.float32))], [memoryview(raw).cast("f")])
    assert np.frombuffer(raw, np.float32).tolist() == [-1.0, -0.5, 0.0, 1.0, 2.0]
    with pytest.raises(pygraph.InvalidArgumentsError):
        compiled.execute(stream, [x], [bytes(20)])  # read-only, and a byte buffer


class DLPackOnly:
    """An object that offers its memory only through DLPack."""

    def __init__(self, array):
        self._array = array

    def __dlpack__(self, **kwargs):
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._array.__dlpack_device__()


def test_dlpack_objects(stream):
    x = np.arange(-5, 5, dtype=np.float16)
    y = np.zeros(10, np.float16)
    compiled = compile_for(x, [0.5])
    compiled.execute(stream, [DLPackOnly(x)], [DLPackOnly(y)])
    assert reference.same_bits(y, reference.leaky_relu(x, 0.5))


def test_torch_tensors_through_dlpack(stream):
    torch = pytest.importorskip("torch")
    for torch_dtype in (torch.float32, torch.float16, torch.bfloat16):
        x = torch.linspace(-4, 4, 24, dtype=torch.float32).reshape(4, 6).to(torch_dtype)
        view = x.t()[1::2]
        out = torch.full((3, 4), SENTINEL, dtype=torch_dtype)
        result = pygraph.leaky_relu(view, 0.125, out=out)
        assert result is out
        described = LogicalTensor.from_array(0, view)
        assert described.strides == tuple(view.stride()) and described.shape == tuple(view.shape)
        assert Tensor(described, None, view).data_ptr == view.data_ptr()  # the tensor's own memory
        expected = torch.nn.functional.leaky_relu(view.float(), 0.125).to(torch_dtype)
        assert torch.equal(out, expected)
        # in place on the tensor's own memory
        before = x.clone()
        assert pygraph.leaky_relu(x, 0.5, out=x) is x
        assert torch.equal(x, torch.nn.functional.leaky_relu(before.float(), 0.5).to(torch_dtype))


def test_run_unary_vouches_for_every_call_it_makes():
    # pygraph._native.run_unary is cp(x, out=y)'s one C call.  Its callers
    # check type, shape and dtype; it still refuses (None, nothing written)
    # whatever it cannot run within both buffers, so that no caller's slip
    # becomes a write out of bounds.
    from pygraph._native import run_unary

    compiled, x = setup(shape=(2, 3))
    address, stream = compiled._address, compiled._stream_address
    y = sentinel_like(x)
    assert run_unary(address, stream, x, y) == 0
    assert reference.same_bits(y, reference.leaky_relu(x, 0.5))
    readonly = sentinel_like(x)
    readonly.flags.writeable = False
    refused_outputs = [
        readonly,
        bytearray(23),  # one byte short of the compiled 24
        np.full(7, SENTINEL, np.float32),
        np.full((3, 4), SENTINEL, np.float32)[:2, :3],  # right size, not C-contiguous
    ]
    for out in refused_outputs:
        before = bytes(memoryview(np.ascontiguousarray(out)))
        assert run_unary(address, stream, x, out) is None
        assert bytes(memoryview(np.ascontiguousarray(out))) == before
    y = sentinel_like(x)
    for bad_x in (x[:, :2], np.zeros(7, np.float32), np.asfortranarray(x), "not a buffer"):
        assert run_unary(address, stream, bad_x, y) is None
        assert untouched(y)
    assert run_unary(0, stream, x, y) is None  # a closed partition's address
    assert untouched(y)
    # A byte buffer of the compiled size is taken (its bytes are the caller's
    # responsibility); an error status comes back as the status, with the
    # message on this thread.
    raw = bytearray(np.full(6, -2, np.float32).tobytes())
    assert run_unary(address, stream, raw, raw) == 0
    assert np.array_equal(np.frombuffer(raw, np.float32), np.full(6, -1, np.float32))
    # Every buffer it borrowed is given back, on every path: a bytearray
    # with a buffer still exported refuses to resize.
    raw_x, raw_out, short = bytearray(x.tobytes()), bytearray(24), bytearray(23)
    assert run_unary(address, stream, raw_x, raw_out) == 0
    assert run_unary(address, stream, np.asfortranarray(x), raw_out) is None  # x refused after out was taken
    assert run_unary(address, stream, raw_x, short) is None
    assert run_unary(address, stream, short, raw_out) is None
    for buffer in (raw, raw_x, raw_out, short):
        buffer.append(0)
        del buffer[-1]
    overlapping = np.full(12, SENTINEL, np.float32)
    status = run_unary(address, stream, overlapping[:6], overlapping[3:9])
    assert status == pygraph.InvalidArgumentsError.status
    assert "overlap" in pygraph._binding.last_error_message()
    assert np.all(overlapping == SENTINEL)
    with pytest.raises(TypeError):
        run_unary(address, stream, x)
    with pytest.raises(TypeError):
        run_unary("address", stream, x, y)
    assert untouched(y)


def test_run_unary_refuses_ports_that_are_not_dense():
    # Its callers send only dense ports its way; it checks the layout itself
    # all the same, as a C-contiguous buffer of a strided port's byte size
    # would not hold that port's elements (reads or writes past it).
    from pygraph._native import run_unary

    x = np.arange(-4, 4, dtype=np.float32)
    strided_input = compile_for(np.zeros(8, np.float32)[::2], [0.5])  # src strides (2,), mem 28 bytes
    reversed_output = compile_for(x[:4], [0.5], out=np.zeros(4, np.float32)[::-1])  # dst strides (-1,)
    for compiled in (strided_input, reversed_output):
        base = np.full(12, SENTINEL, np.float32)
        out = base[4:8]
        assert run_unary(compiled._address, compiled._stream_address, x[:4].copy(), out) is None
        assert np.all(base == SENTINEL)
        with pytest.raises(pygraph.InvalidShapeError, match="stride"):
            compiled(x[:4].copy(), out=out)  # the general path words it
        assert np.all(base == SENTINEL)


def test_calls_on_a_closed_partition_are_refused_with_its_reason():
    compiled, x = setup()
    y = sentinel_like(x)
    compiled.close()
    for call in (lambda: compiled(x, out=y), lambda: compiled(y, out=y), lambda: compiled.execute(None, [x], [y])):
        with pytest.raises(pygraph.InvalidArgumentsError, match="compiled partition is closed"):
            call()
    assert untouched(y)
