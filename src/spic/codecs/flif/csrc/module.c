/* CPython bindings: spic.codecs.flif._flif.{read_header, decode, encode}. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>

#include "chance.h"
#include "flif.h"

static PyObject *py_read_header(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    flif_header hdr;
    char err[FLIF_ERR_LEN];
    int rc;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*", &buf)) return NULL;
    rc = flif_read_header((const uint8_t *)buf.buf, (size_t)buf.len, &hdr, err);
    PyBuffer_Release(&buf);
    if (rc) {
        PyErr_SetString(PyExc_ValueError, err);
        return NULL;
    }
    return Py_BuildValue("{s:k,s:k,s:i,s:O,s:O,s:i}", "width", (unsigned long)hdr.width, "height",
                         (unsigned long)hdr.height, "channels", hdr.channels, "interlaced",
                         hdr.interlaced ? Py_True : Py_False, "animated", hdr.animated ? Py_True : Py_False,
                         "bit_depth", hdr.depth_byte == '2' ? 16 : 8);
}

static PyObject *py_decode(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    unsigned long long max_pixels;
    int require_crc = 1;
    flif_header hdr;
    char err[FLIF_ERR_LEN];
    PyObject *out = NULL;
    int rc;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*K|p", &buf, &max_pixels, &require_crc)) return NULL;
    rc = flif_read_header((const uint8_t *)buf.buf, (size_t)buf.len, &hdr, err);
    if (rc == 0 && (unsigned long long)hdr.width * hdr.height > max_pixels) {
        snprintf(err, FLIF_ERR_LEN, "declared size %ux%u exceeds the limit of %llu pixels", hdr.width, hdr.height, max_pixels);
        rc = -1;
    }
    if (rc == 0 && hdr.channels != 1 && hdr.channels != 3) {
        snprintf(err, FLIF_ERR_LEN, "unsupported FLIF image with %d channels (grayscale and RGB only)", hdr.channels);
        rc = -1;
    }
    if (rc == 0) {
        out = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)hdr.width * hdr.height * hdr.channels);
        if (!out) {
            PyBuffer_Release(&buf);
            return NULL;
        }
        Py_BEGIN_ALLOW_THREADS
        if (hdr.channels == 1)
            rc = flif_decode_gray((const uint8_t *)buf.buf, (size_t)buf.len, &hdr, require_crc,
                                  (uint8_t *)PyByteArray_AS_STRING(out), err);
        else
            rc = flif_decode_rgb((const uint8_t *)buf.buf, (size_t)buf.len, &hdr, require_crc,
                                 (uint8_t *)PyByteArray_AS_STRING(out), err);
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&buf);
    if (rc) {
        Py_XDECREF(out);
        PyErr_SetString(PyExc_ValueError, err);
        return NULL;
    }
    return Py_BuildValue("(kkiN)", (unsigned long)hdr.width, (unsigned long)hdr.height, hdr.channels, out);
}

static PyObject *py_encode(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"pixels", "width", "height", "interlaced", "learn_repeats", "split_threshold",
                               "divisor", "min_size", "channel_compact", NULL};
    Py_buffer buf;
    unsigned int width, height;
    flif_encode_options opts;
    unsigned long long split;
    flif_bytebuf out = {NULL, 0, 0, 0};
    char err[FLIF_ERR_LEN];
    PyObject *result;
    int rc;
    (void)self;
    flif_default_options(&opts);
    split = opts.split_threshold;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*II|piKiip", keywords, &buf, &width, &height, &opts.interlaced,
                                     &opts.learn_repeats, &split, &opts.divisor, &opts.min_size, &opts.channel_compact))
        return NULL;
    opts.split_threshold = split;
    if ((unsigned long long)width * height != (unsigned long long)buf.len || width == 0 || height == 0 ||
        opts.learn_repeats < 0 || opts.learn_repeats > 100 || opts.divisor < 1 || opts.min_size < 0) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError, "flif encode: invalid size or options");
        return NULL;
    }
    Py_BEGIN_ALLOW_THREADS
    rc = flif_encode_gray((const uint8_t *)buf.buf, width, height, &opts, &out, err);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    if (rc) {
        free(out.data);
        PyErr_SetString(PyExc_ValueError, err);
        return NULL;
    }
    result = PyBytes_FromStringAndSize((const char *)out.data, (Py_ssize_t)out.len);
    free(out.data);
    return result;
}

static PyMethodDef methods[] = {
    {"read_header", py_read_header, METH_VARARGS, "read_header(data) -> dict of the declared image properties"},
    {"decode", py_decode, METH_VARARGS, "decode(data, max_pixels, require_checksum=True) -> (width, height, channels, bytearray); "
     "8-bit gray or RGB; a file without checksum is refused when require_checksum is true"},
    {"encode", (PyCFunction)(void (*)(void))py_encode, METH_VARARGS | METH_KEYWORDS,
     "encode(pixels, width, height, *, interlaced, learn_repeats, split_threshold, divisor, min_size, "
     "channel_compact) -> bytes"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_flif", "Native FLIF codec (8-bit grayscale).", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__flif(void)
{
    flif_init_tables();
    flif_crc32(0, NULL, 0); /* builds the CRC table before any thread can race on it */
    return PyModule_Create(&module);
}
