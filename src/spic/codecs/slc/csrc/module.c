/* CPython bindings: spic.codecs.slc._slc.{read_header, reference_id, encode, decode}. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>

#include "slc.h"

static PyObject *py_read_header(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    slc_header hdr;
    char err[SLC_ERR_LEN];
    int rc;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*", &buf)) return NULL;
    rc = slc_read_header((const uint8_t *)buf.buf, (size_t)buf.len, &hdr, err);
    PyBuffer_Release(&buf);
    if (rc) {
        PyErr_SetString(PyExc_ValueError, err);
        return NULL;
    }
    return Py_BuildValue("{s:k,s:k,s:O,s:k}", "width", (unsigned long)hdr.width, "height", (unsigned long)hdr.height,
                         "inter", hdr.inter ? Py_True : Py_False, "reference_id", (unsigned long)hdr.reference_id);
}

/* Checks that `buf` holds width * height bytes. */
static int check_map(const Py_buffer *buf, unsigned int width, unsigned int height, const char *what)
{
    if (width == 0 || height == 0 || width > SLC_MAX_SIDE || height > SLC_MAX_SIDE ||
        (unsigned long long)width * height != (unsigned long long)buf->len) {
        PyErr_Format(PyExc_ValueError, "%s: invalid size %ux%u for %zd bytes", what, width, height, buf->len);
        return -1;
    }
    return 0;
}

static PyObject *py_reference_id(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    unsigned int width, height;
    uint32_t id;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*II", &buf, &width, &height)) return NULL;
    if (check_map(&buf, width, height, "reference_id")) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    id = slc_reference_id((const uint8_t *)buf.buf, width, height);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    return PyLong_FromUnsignedLong(id);
}

static PyObject *py_encode(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"labels", "width", "height", "reference", "search_motion", NULL};
    Py_buffer buf, ref = {NULL};
    PyObject *ref_obj = Py_None, *result = NULL;
    unsigned int width, height;
    int search_motion = 1, rc;
    flif_bytebuf out = {NULL, 0, 0, 0};
    char err[SLC_ERR_LEN];
    (void)self;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*II|Op", keywords, &buf, &width, &height, &ref_obj,
                                     &search_motion))
        return NULL;
    if (check_map(&buf, width, height, "encode")) goto done;
    if (ref_obj != Py_None) {
        if (PyObject_GetBuffer(ref_obj, &ref, PyBUF_SIMPLE)) goto done;
        if (check_map(&ref, width, height, "encode reference")) goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = slc_encode((const uint8_t *)buf.buf, width, height, ref.buf ? (const uint8_t *)ref.buf : NULL, search_motion,
                    &out, err);
    Py_END_ALLOW_THREADS
    if (rc) PyErr_SetString(PyExc_ValueError, err);
    else result = PyBytes_FromStringAndSize((const char *)out.data, (Py_ssize_t)out.len);
done:
    free(out.data);
    if (ref.obj) PyBuffer_Release(&ref);
    PyBuffer_Release(&buf);
    return result;
}

static PyObject *py_decode(PyObject *self, PyObject *args)
{
    Py_buffer buf, ref = {NULL};
    PyObject *ref_obj = Py_None, *out = NULL;
    unsigned long long max_pixels;
    slc_header hdr;
    char err[SLC_ERR_LEN];
    int rc;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*K|O", &buf, &max_pixels, &ref_obj)) return NULL;
    rc = slc_read_header((const uint8_t *)buf.buf, (size_t)buf.len, &hdr, err);
    if (rc == 0 && (unsigned long long)hdr.width * hdr.height > max_pixels) {
        snprintf(err, SLC_ERR_LEN, "declared size %ux%u exceeds the limit of %llu pixels", hdr.width, hdr.height,
                 max_pixels);
        rc = -1;
    }
    if (rc) {
        PyErr_SetString(PyExc_ValueError, err);
        goto done;
    }
    if (hdr.inter) {
        if (ref_obj == Py_None) {
            PyErr_SetString(PyExc_ValueError, "an inter SLC map needs its reference map");
            goto done;
        }
        if (PyObject_GetBuffer(ref_obj, &ref, PyBUF_SIMPLE)) goto done;
        if (check_map(&ref, hdr.width, hdr.height, "decode reference")) goto done;
    }
    out = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)hdr.width * hdr.height);
    if (!out) goto done;
    Py_BEGIN_ALLOW_THREADS
    rc = slc_decode((const uint8_t *)buf.buf, (size_t)buf.len, &hdr, ref.buf ? (const uint8_t *)ref.buf : NULL,
                    (uint8_t *)PyByteArray_AS_STRING(out), err);
    Py_END_ALLOW_THREADS
    if (rc) {
        Py_CLEAR(out);
        PyErr_SetString(PyExc_ValueError, err);
    }
done:
    if (ref.obj) PyBuffer_Release(&ref);
    PyBuffer_Release(&buf);
    if (!out) return NULL;
    return Py_BuildValue("(kkN)", (unsigned long)hdr.width, (unsigned long)hdr.height, out);
}

static PyMethodDef methods[] = {
    {"read_header", py_read_header, METH_VARARGS, "read_header(data) -> dict: width, height, inter, reference_id"},
    {"reference_id", py_reference_id, METH_VARARGS, "reference_id(labels, width, height) -> int (CRC-32)"},
    {"encode", (PyCFunction)(void (*)(void))py_encode, METH_VARARGS | METH_KEYWORDS,
     "encode(labels, width, height, reference=None, search_motion=True) -> bytes"},
    {"decode", py_decode, METH_VARARGS,
     "decode(data, max_pixels, reference=None) -> (width, height, bytearray); the caller checks the reference id"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_slc", "Native SLC label-map codec.", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__slc(void)
{
    slc_init();
    return PyModule_Create(&module);
}
