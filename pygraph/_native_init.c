/* The extension module pygraph._native: cffi's generated bindings of the
 * public header (_native.c, built from native/tools/gen_cffi_source.py)
 * plus the one call cffi cannot make cheap enough, written by hand against
 * the CPython API.
 *
 * Why: cp(x, out=y) on 100 elements does 0.2 us of work in C, and the
 * cffi route to it costs three times that — two ffi.from_buffer() calls
 * (0.12 us each) and the cffi call itself (0.13 us) on the Zen 4 VM
 * (benchmarks/results/README.md, its section "before run_unary").
 * run_unary takes the two arrays as Python objects, borrows their buffers
 * with PyObject_GetBuffer and calls
 * pygraph_compiled_partition_execute_unary directly: one C call from
 * Python instead of three.  (python-zstandard ships hand-written C beside
 * its cffi backend for the same reason.)
 *
 * The generated source renames cffi's module init to
 * pygraph_cffi_module_init (see gen_cffi_source.py); PyInit__native below
 * calls it and adds run_unary to the module, so both live in one shared
 * object with one copy of the library's state (its thread-local last error
 * message, thread pool and kernel choice).  This file is compiled without
 * cffi's Py_LIMITED_API: the buffer protocol joined the stable ABI only in
 * Python 3.11, and pygraph supports 3.10.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "pygraph/pygraph.h"

#ifdef Py_LIMITED_API
#error "_native_init.c uses the buffer protocol, outside the limited API before Python 3.11"
#endif

PyMODINIT_FUNC pygraph_cffi_module_init(void);
PyMODINIT_FUNC PyInit__native(void);

/* Calls moving at least this many output bytes run with the GIL released.
 * Below it the release and re-acquire (~50 ns) is a noticeable share of the
 * work, and a call that gave the GIL away may wait up to another thread's
 * switch interval (5 ms by default) to get it back; 32 KiB of output is
 * about a microsecond of work in cache. */
#define RELEASE_GIL_MIN_BYTES 32768

/* The byte size of a compiled port laid out dense row-major (strides of
 * extent-0/1 dims do not matter, as in the library), the only layout in
 * which a C-contiguous buffer of that size holds exactly the port's
 * elements; -1 for any other layout. */
static int dense_port_bytes(const pygraph_logical_tensor *port, size_t *bytes) {
    int empty = 0; /* zero elements: no layout to check, and 0 bytes */
    for (int32_t d = 0; d < port->ndims; ++d) empty |= port->dims[d] == 0;
    int64_t dense_stride = 1;
    for (int32_t d = port->ndims - 1; d >= 0 && !empty; --d) {
        if (port->dims[d] > 1 && port->strides[d] != dense_stride) return -1;
        dense_stride *= port->dims[d];
    }
    return pygraph_logical_tensor_get_mem_size(port, bytes) == pygraph_success ? 0 : -1;
}

/* The byte size both buffers of a call must have: the ports' common size
 * when the only input and output port are both dense row-major; -1 when
 * not, and run_unary refuses every call. */
static int unary_bytes(const pygraph_compiled_partition *compiled, size_t *bytes) {
    size_t num_inputs = 0, num_outputs = 0, input_bytes = 0;
    const pygraph_logical_tensor *inputs = NULL, *outputs = NULL;
    if (pygraph_compiled_partition_get_input_ports(compiled, &num_inputs, &inputs) != pygraph_success ||
        pygraph_compiled_partition_get_output_ports(compiled, &num_outputs, &outputs) != pygraph_success ||
        num_inputs != 1 || num_outputs != 1 || dense_port_bytes(&inputs[0], &input_bytes) != 0 ||
        dense_port_bytes(&outputs[0], bytes) != 0 || input_bytes != *bytes) {
        return -1;
    }
    return 0;
}

/* run_unary(compiled_address, stream_address, x, out) -> int status, or None
 *
 * Private to pygraph (partition.py and functional.py), which call it after
 * checking that x and out are NumPy arrays of the compiled shape and dtype;
 * the addresses are those of a live compiled partition (0 once closed) and
 * stream, which it trusts.  Returns the status of execute_unary (0 =
 * success; the message is pygraph_last_error_message() on this thread), or
 * None without touching any memory when it cannot vouch for the call — a
 * closed partition, ports that are not dense row-major, a buffer that is
 * not C-contiguous, a read-only out, a size other than the ports' — so the
 * caller takes the general path, which checks and words the refusal.  The
 * layout and size checks keep the call within both buffers whatever the
 * caller checked. */
static PyObject *run_unary(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "run_unary() takes 4 arguments (%zd given)", nargs);
        return NULL;
    }
    const pygraph_compiled_partition *compiled = PyLong_AsVoidPtr(args[0]);
    if (compiled == NULL) {
        if (PyErr_Occurred()) return NULL;
        Py_RETURN_NONE; /* closed */
    }
    const pygraph_stream *stream = PyLong_AsVoidPtr(args[1]);
    if (stream == NULL && PyErr_Occurred()) return NULL;
    size_t bytes = 0;
    if (unary_bytes(compiled, &bytes) != 0) Py_RETURN_NONE;

    PyObject *x = args[2], *out = args[3];
    Py_buffer out_view, x_view;
    if (PyObject_GetBuffer(out, &out_view, PyBUF_WRITABLE) != 0) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    int in_place = x == out;
    if (!in_place && PyObject_GetBuffer(x, &x_view, PyBUF_SIMPLE) != 0) {
        PyErr_Clear();
        PyBuffer_Release(&out_view);
        Py_RETURN_NONE;
    }
    const Py_buffer *input = in_place ? &out_view : &x_view;
    pygraph_status status = pygraph_success; /* returned only when sized */
    int sized = (size_t)out_view.len == bytes && (size_t)input->len == bytes;
    if (sized && bytes >= RELEASE_GIL_MIN_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        status = pygraph_compiled_partition_execute_unary(compiled, stream, input->buf, out_view.buf);
        Py_END_ALLOW_THREADS
    } else if (sized) {
        status = pygraph_compiled_partition_execute_unary(compiled, stream, input->buf, out_view.buf);
    }
    if (!in_place) PyBuffer_Release(&x_view);
    PyBuffer_Release(&out_view);
    if (!sized) Py_RETURN_NONE;
    return PyLong_FromLong((long)status);
}

static PyMethodDef lean_methods[] = {
    {"run_unary", (PyCFunction)(void (*)(void))run_unary, METH_FASTCALL,
     "run_unary(compiled_address, stream_address, x, out): private to pygraph"},
    {NULL, NULL, 0, NULL},
};

PyMODINIT_FUNC PyInit__native(void) {
    PyObject *module = pygraph_cffi_module_init();
    if (module == NULL) return NULL;
    if (PyModule_AddFunctions(module, lean_methods) != 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
