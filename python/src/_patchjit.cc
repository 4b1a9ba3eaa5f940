// patchjit._patchjit: the Python binding of patchjit's public C++ API (patchjit.hpp) only.
//
// Arrays cross as they are: a numpy array's buffer, or a CPU torch tensor's through
// Tensor.numpy() (which shares its memory), is handed to pj_kernel_run; the output is a new
// array of the caller's kind (numpy for numpy, torch for torch) or the caller's `out`. The GIL
// is released while a kernel is created and while it runs. Errors carry the library's message
// (TensorFlow's words) in TensorFlow's classes: InvalidArgumentError, OutOfRangeError,
// UnimplementedError (ValueError subclasses), ResourceExhaustedError (MemoryError),
// InternalError (RuntimeError); a Python value of the wrong type is a TypeError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "patchjit/patchjit.hpp"

namespace py = pybind11;

namespace {

// ---- Errors ------------------------------------------------------------------------------

struct ErrorTypes {
  PyObject* base = nullptr;  // patchjit.Error
  PyObject* by_status[PJ_INTERNAL + 1] = {};
};
ErrorTypes error_types;

[[noreturn]] void raise_status(pj_status code, const std::string& message) {
  PyObject* type = code > PJ_OK && code <= PJ_INTERNAL ? error_types.by_status[code] : error_types.base;
  PyErr_SetString(type, message.c_str());
  throw py::error_already_set();
}

// The failure the last patchjit call on this thread reported.
[[noreturn]] void raise_last(pj_status code) { raise_status(code, pj_last_error()); }

[[noreturn]] void raise_invalid(const std::string& message) { raise_status(PJ_INVALID_ARGUMENT, message); }

std::string type_name(py::handle object) { return Py_TYPE(object.ptr())->tp_name; }

std::string shape_text(const int64_t* shape, size_t rank, const char* open = "[", const char* close = "]") {
  std::string text = open;
  for (size_t i = 0; i < rank; ++i) {
    if (i) text += ',';
    text += std::to_string(shape[i]);
  }
  return text + close;
}

// ---- torch, without importing it ---------------------------------------------------------

// torch.Tensor when torch has been imported, else nullptr (then no argument can be a tensor).
PyObject* torch_tensor_type() {
  static PyObject* tensor_type = nullptr;  // torch is never unloaded once imported
  if (tensor_type) return tensor_type;
  PyObject* torch = PyDict_GetItemString(PyImport_GetModuleDict(), "torch");  // borrowed
  if (!torch) return nullptr;
  PyObject* type = PyObject_GetAttrString(torch, "Tensor");
  if (!type) {
    PyErr_Clear();
    return nullptr;
  }
  tensor_type = type;  // kept for the life of the process
  return tensor_type;
}

bool is_torch_tensor(py::handle object) {
  PyObject* type = torch_tensor_type();
  return type && PyObject_IsInstance(object.ptr(), type) == 1;
}

// torch's objects the binding uses, looked up once (after torch_tensor_type() found torch).
struct TorchNames {
  py::object strided, bfloat16, int16, from_numpy;
};
const TorchNames& torch_names() {
  static const TorchNames* names = [] {
    py::module_ torch = py::module_::import("torch");
    return new TorchNames{torch.attr("strided"), torch.attr("bfloat16"), torch.attr("int16"),
                          torch.attr("from_numpy")};  // kept for the life of the process
  }();
  return *names;
}

// ---- dtypes ------------------------------------------------------------------------------

// The pj_dtype of a numpy dtype, if patchjit has one (float16 is half; bfloat16 has no numpy
// dtype and is asked for by name).
std::optional<pj_dtype> dtype_of_numpy(const py::dtype& d) {
  const char kind = d.kind();
  const auto size = d.itemsize();
  switch (kind) {
    case 'b':
      if (size == 1) return PJ_BOOL;
      break;
    case 'i':
      if (size == 1) return PJ_INT8;
      if (size == 2) return PJ_INT16;
      if (size == 4) return PJ_INT32;
      if (size == 8) return PJ_INT64;
      break;
    case 'u':
      if (size == 1) return PJ_UINT8;
      if (size == 2) return PJ_UINT16;
      if (size == 4) return PJ_UINT32;
      if (size == 8) return PJ_UINT64;
      break;
    case 'f':
      if (size == 2) return PJ_HALF;
      if (size == 4) return PJ_FLOAT32;
      if (size == 8) return PJ_FLOAT64;
      break;
    case 'c':
      if (size == 8) return PJ_COMPLEX64;
      if (size == 16) return PJ_COMPLEX128;
      break;
  }
  return std::nullopt;
}

const char* kDtypeList =
    "float32, float64, float16 (half), bfloat16 (uint16 or int16 data with dtype=\"bfloat16\"), int8, int16, int32, "
    "int64, uint8, uint16, uint32, uint64, complex64, complex128, bool";

// A dtype argument: None, a name ("float32", "half", "bfloat16", ...), a numpy dtype or scalar
// type, or a torch dtype.
std::optional<pj_dtype> parse_dtype(py::handle value, const char* what) {
  if (value.is_none()) return std::nullopt;
  if (py::isinstance<py::str>(value)) {
    std::string name = value.cast<std::string>();
    pj_dtype d;
    if (pj_dtype_from_name(name.c_str(), &d) != PJ_OK) {
      throw py::type_error(std::string(what) + " \"" + name + "\" is not a patchjit type; the types are " + kDtypeList);
    }
    return d;
  }
  if (PyObject* torch = PyDict_GetItemString(PyImport_GetModuleDict(), "torch")) {
    py::object torch_dtype = py::reinterpret_borrow<py::object>(torch).attr("dtype");
    if (py::isinstance(value, torch_dtype)) {
      std::string name = py::str(value);  // "torch.float32"
      if (name.rfind("torch.", 0) == 0) name = name.substr(6);
      pj_dtype d;
      if (pj_dtype_from_name(name.c_str(), &d) != PJ_OK) {
        throw py::type_error(std::string(what) + " torch." + name + " is not a patchjit type; the types are " +
                             kDtypeList);
      }
      return d;
    }
  }
  py::dtype d;
  try {
    d = py::dtype::from_args(py::reinterpret_borrow<py::object>(value));
  } catch (py::error_already_set&) {
    throw py::type_error(std::string(what) + " must be a type name, a numpy dtype or a torch dtype, got " +
                         std::string(py::repr(value)));
  }
  std::optional<pj_dtype> pj = dtype_of_numpy(d);
  if (!pj) {
    throw py::type_error(std::string(what) + " " + std::string(py::str(d)) + " is not a patchjit type; the types are " +
                         kDtypeList);
  }
  return pj;
}

// ---- Arrays ------------------------------------------------------------------------------

// The caller's images or out, seen as a numpy array sharing its memory.
struct ArrayArg {
  py::array array;        // numpy view of the data
  bool torch = false;     // the caller passed a torch tensor
  bool bfloat16 = false;  // a torch.bfloat16 tensor (viewed as int16)
};

ArrayArg as_array(py::handle object, const char* what, bool writable) {
  ArrayArg arg;
  if (py::isinstance<py::array>(object)) {
    arg.array = py::reinterpret_borrow<py::array>(object);
  } else if (is_torch_tensor(object)) {
    arg.torch = true;
    // The common case first: Tensor.numpy() shares the memory of a CPU tensor that needs no
    // grad, has no conjugate or negative bit and has a dtype numpy knows.
    if (PyObject* array = PyObject_CallMethod(object.ptr(), "numpy", nullptr)) {
      arg.array = py::reinterpret_steal<py::array>(array);
      return arg;
    }
    PyErr_Clear();
    const TorchNames& torch = torch_names();
    py::object tensor = py::reinterpret_borrow<py::object>(object);
    py::object device_type = tensor.attr("device").attr("type");
    if (!py::str(device_type).equal(py::str("cpu"))) {
      throw py::type_error(std::string(what) + " must be a CPU tensor; patchjit runs on the CPU, got a tensor on " +
                           std::string(py::str(tensor.attr("device"))));
    }
    py::object layout = tensor.attr("layout"), dtype = tensor.attr("dtype");
    if (!layout.equal(torch.strided)) {
      throw py::type_error(std::string(what) + " must be a dense (strided) tensor, got layout " +
                           std::string(py::str(layout)));
    }
    if (dtype.equal(torch.bfloat16)) {
      arg.bfloat16 = true;
      tensor = tensor.attr("view")(torch.int16);  // the same memory, as numpy can see it
    }
    if (writable) {
      // Writing through numpy(force=True) could write into a copy (conjugate or negative bit)
      // or behind autograd's back: refuse those outputs instead.
      if (tensor.attr("requires_grad").cast<bool>()) {
        raise_invalid(std::string(what) + " requires grad: patchjit cannot write into a tensor autograd tracks");
      }
      try {
        arg.array = tensor.attr("numpy")();
      } catch (py::error_already_set& e) {
        raise_invalid(std::string(what) + " cannot be written in place: " + e.what());
      }
    } else {
      arg.array = tensor.attr("numpy")(py::arg("force") = true);  // detach, resolve conj: no copy otherwise
    }
  } else {
    throw py::type_error(std::string(what) + " must be a numpy.ndarray or a torch.Tensor, got " + type_name(object));
  }
  return arg;
}

// The element type of `arg`, given the optional requested type (bfloat16 needs 2-byte
// integer data).
pj_dtype element_type(const ArrayArg& arg, std::optional<pj_dtype> requested, const char* what) {
  py::dtype d = arg.array.dtype();
  if (arg.bfloat16) {
    if (requested && *requested != PJ_BFLOAT16) {
      throw py::type_error(std::string(what) + " is a torch.bfloat16 tensor but dtype is " + pj_dtype_name(*requested));
    }
    return PJ_BFLOAT16;
  }
  std::optional<pj_dtype> natural = dtype_of_numpy(d);
  if (requested && *requested == PJ_BFLOAT16) {
    if ((d.kind() == 'u' || d.kind() == 'i') && d.itemsize() == 2) return PJ_BFLOAT16;
    throw py::type_error(std::string(what) + " must hold bfloat16 as uint16 or int16 data, got " +
                         std::string(py::str(d)));
  }
  if (!natural) {
    throw py::type_error(std::string(what) + " has dtype " + std::string(py::str(d)) +
                         ", which is not a patchjit type; the types are " + kDtypeList);
  }
  if (requested && *requested != *natural) {
    throw py::type_error(std::string(what) + " has dtype " + std::string(py::str(d)) + " but dtype is " +
                         pj_dtype_name(*requested));
  }
  return *natural;
}

// [lowest, highest byte + 1) that an array's elements occupy.
std::pair<uintptr_t, uintptr_t> byte_extent(const py::array& a) {
  auto begin = reinterpret_cast<uintptr_t>(a.data());
  if (a.size() == 0) return {begin, begin};
  uintptr_t end = begin + a.itemsize();
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    py::ssize_t step = a.strides(i) * (a.shape(i) - 1);
    if (step < 0)
      begin += step;
    else
      end += step;
  }
  return {begin, end};
}

bool overlap(const py::array& a, const py::array& b) {
  auto [a0, a1] = byte_extent(a);
  auto [b0, b1] = byte_extent(b);
  return a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1;
}

bool c_contiguous(const py::array& a) { return (a.flags() & py::array::c_style) != 0; }

// Outputs of at least kKeptFrom bytes get memory of their own (mmap, transparent huge pages
// asked for), and the last one freed is kept for the next output that fits it: fresh pages are
// zeroed by the kernel on first touch, which on 4x64x112x112 k3 (115 MB) took 10.6 of a call's
// 15.9 ms (5.3 with `out=`). Smaller outputs come from numpy, whose malloc reuses them anyway.
// One buffer at most is kept (cache_clear() returns it); the GIL guards it.
constexpr size_t kKeptFrom = size_t{4} << 20;
struct KeptBuffer {
  void* data = nullptr;
  size_t bytes = 0;
};
KeptBuffer kept_output;

void unmap(void* data, size_t bytes) {
  if (data) munmap(data, bytes);
}

void release_kept_output() {
  unmap(kept_output.data, kept_output.bytes);
  kept_output = {};
}

// `bytes` of mapped memory: the kept buffer when it fits (not more than twice the need), else a
// new mapping; *size gets what the buffer holds. nullptr when the system has no memory.
void* take_buffer(size_t bytes, size_t* size) {
  if (kept_output.data && kept_output.bytes >= bytes && kept_output.bytes / 2 <= bytes) {
    void* data = kept_output.data;
    *size = kept_output.bytes;
    kept_output = {};
    return data;
  }
  void* data = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED) return nullptr;
  madvise(data, bytes, MADV_HUGEPAGE);  // a hint: where the kernel declines, 4 KiB pages serve
  *size = bytes;
  return data;
}

// A buffer's array has died: keep it for the next output (the one kept before is returned).
void give_back(void* data, size_t bytes) {
  release_kept_output();
  kept_output = {data, bytes};
}

// A new C-contiguous array whose data starts on a 64-byte boundary. numpy's own allocations are
// 16-byte aligned: the kernels' 64-byte stores then split cache lines, 5% slower on a 7 MB output
// (1x56x56x64 k3) than the C API's aligned buffers. Small outputs live inside a numpy byte
// buffer the array keeps alive, large ones in a mapping (above) a capsule owns.
py::array aligned_empty(const py::dtype& dtype, const std::vector<py::ssize_t>& dims) {
  constexpr py::ssize_t kAlign = 64;
  py::ssize_t bytes = dtype.itemsize();
  for (py::ssize_t d : dims) bytes *= d;  // the shape of a valid kernel's output: no overflow
  if (static_cast<size_t>(bytes) >= kKeptFrom) {
    size_t size = 0;
    void* data = take_buffer(static_cast<size_t>(bytes), &size);
    if (!data) throw std::bad_alloc();
    struct Owned {
      void* data;
      size_t size;
    };
    py::capsule owner(new Owned{data, size}, [](void* p) {
      std::unique_ptr<Owned> owned(static_cast<Owned*>(p));
      give_back(owned->data, owned->size);
    });
    return py::array(dtype, dims, data, owner);
  }
  py::array_t<uint8_t> raw(bytes + kAlign);
  const auto address = reinterpret_cast<uintptr_t>(raw.mutable_data());
  const py::ssize_t offset = static_cast<py::ssize_t>((kAlign - address % kAlign) % kAlign);
  return py::array(dtype, dims, raw.mutable_data() + offset, raw);
}

// The output: a new array of the caller's kind, or `out` checked against it.
struct Output {
  py::object result;  // what the call returns
  py::array array;    // where the kernel writes
};

// A new output array of the caller's kind, or `out` checked against the output's shape (rank 4
// for rows, 3 for columns), dtype and layout.
Output make_output(const ArrayArg& images, const py::array& source, const patchjit::Shape& shape, int rank,
                   py::handle out) {
  Output output;
  if (out.is_none()) {
    std::vector<py::ssize_t> dims(shape.begin(), shape.begin() + rank);
    output.array = aligned_empty(source.dtype(), dims);
    if (images.torch) {
      py::object tensor = torch_names().from_numpy(output.array);
      if (images.bfloat16) tensor = tensor.attr("view")(torch_names().bfloat16);
      output.result = tensor;
    } else {
      output.result = output.array;
    }
    return output;
  }
  ArrayArg arg = as_array(out, "out", true);
  if (arg.bfloat16 != images.bfloat16 || !arg.array.dtype().equal(source.dtype())) {
    auto name = [](const ArrayArg& a) {
      return a.bfloat16 ? std::string("torch.bfloat16") : std::string(py::str(a.array.dtype()));
    };
    throw py::type_error("out has dtype " + name(arg) + " but the output has dtype " + name(images));
  }
  bool same_shape = arg.array.ndim() == rank;
  for (int i = 0; same_shape && i < rank; ++i) same_shape = arg.array.shape(i) == shape[i];
  if (!same_shape) {
    std::vector<int64_t> given(arg.array.shape(), arg.array.shape() + arg.array.ndim());
    raise_invalid("out has shape " + shape_text(given.data(), given.size()) + " but the output shape is " +
                  shape_text(shape.data(), rank));
  }
  if (!arg.array.writeable()) raise_invalid("out is read-only");
  if (!c_contiguous(arg.array)) raise_invalid("out must be C-contiguous (a dense tensor)");
  output.array = arg.array;
  output.result = py::reinterpret_borrow<py::object>(out);
  return output;
}

// The images' strides in elements as pj_spec_ex takes them (image, outer, inner; 0 = dense,
// all 0 for a dense array), or nullopt when the library cannot read the array where it lies:
// the innermost dimension not contiguous, a negative, zero (broadcast) or unaligned stride, or
// dimensions out of nesting order (a transposed view). Such arrays are copied.
std::optional<std::array<int64_t, 3>> library_strides(const py::array& a) {
  std::array<int64_t, 3> strides{0, 0, 0};
  if (a.size() == 0) return strides;
  const int64_t e = a.itemsize();
  if (a.shape(3) > 1 && a.strides(3) != e) return std::nullopt;
  int64_t dense = a.shape(3);  // the dense stride of the dimension being looked at
  bool all_dense = true;
  for (int i = 2; i >= 0; --i) {
    int64_t resolved = dense;
    if (a.shape(i) > 1) {
      if (a.strides(i) <= 0 || a.strides(i) % e != 0) return std::nullopt;
      const int64_t v = a.strides(i) / e;
      if (v < dense) return std::nullopt;
      strides[i] = resolved = v;
      all_dense = all_dense && v == dense;
    }
    if (__builtin_mul_overflow(resolved, static_cast<int64_t>(a.shape(i)), &dense)) return std::nullopt;
  }
  if (all_dense) strides = {0, 0, 0};  // the dense kernel: shared with dense callers in the cache
  return strides;
}

// ---- Attributes --------------------------------------------------------------------------

// One integer of an attribute `name` (a "list" or a "pair", for the message): anything with
// __index__; TensorFlow's int32 message for values int64 cannot hold.
int64_t int_item(py::handle item, const char* name, const char* what) {
  PyObject* index = PyNumber_Index(item.ptr());
  if (!index) {
    PyErr_Clear();
    throw py::type_error(std::string(name) + " must be a " + what + " of integers, but an entry is " + type_name(item) +
                         " " + std::string(py::repr(item)));
  }
  py::object owned = py::reinterpret_steal<py::object>(index);
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(index, &overflow);
  if (overflow != 0) {
    // TensorFlow's int32 check (the library's first attribute rule), for values int64 cannot hold.
    raise_invalid(std::string("Attr ") + name + " has value " + std::string(py::str(owned)) +
                  " out of range for an int32");
  }
  return v;
}

// numpy.integer, looked up once (numpy is imported with the module).
py::handle numpy_integer() {
  static py::handle type = py::object(py::module_::import("numpy").attr("integer")).release();  // kept for good
  return type;
}

// An attribute list (ksizes, strides, rates) as TensorFlow takes it: any sequence of integers.
// Length errors are reported later, in TensorFlow's order.
std::vector<int64_t> int_list(py::handle value, const char* name) {
  if (py::isinstance<py::str>(value) || py::isinstance<py::bytes>(value) || !PySequence_Check(value.ptr())) {
    if (!(py::isinstance<py::array>(value) && py::array(py::reinterpret_borrow<py::array>(value)).ndim() == 1)) {
      throw py::type_error(std::string(name) + " must be a list of 4 integers, got " + type_name(value));
    }
  }
  py::sequence seq = py::reinterpret_borrow<py::sequence>(value);
  std::vector<int64_t> values;
  values.reserve(seq.size());
  for (py::object item : seq) values.push_back(int_item(item, name, "list"));  // owned: numpy makes items anew
  return values;
}

// torch's int-or-pair argument (kernel_size, dilation, padding, stride of unfold and fold): an
// integer for both, or a sequence of two.
std::array<int64_t, 2> int_pair(py::handle value, const char* name) {
  if (PyLong_Check(value.ptr()) && !PyBool_Check(value.ptr())) {  // int and its subclasses, not bool
    const int64_t v = int_item(value, name, "pair");
    return {v, v};
  }
  if (PyTuple_Check(value.ptr()) || PyList_Check(value.ptr())) {
    py::sequence seq = py::reinterpret_borrow<py::sequence>(value);
    if (seq.size() != 2) {
      raise_invalid(std::string("It is expected ") + name + " equals to 2, but got size " + std::to_string(seq.size()));
    }
    return {int_item(seq[0], name, "pair"), int_item(seq[1], name, "pair")};
  }
  if (!PyBool_Check(value.ptr()) && py::isinstance(value, numpy_integer())) {
    const int64_t v = int_item(value, name, "pair");
    return {v, v};
  }
  throw py::type_error(std::string(name) + " must be an int or a pair of ints, got " + type_name(value));
}

void check_length(const char* name, const std::vector<int64_t>& values) {
  if (values.size() == 4) return;
  // TensorFlow's shape function says "stride" (singular) for the strides attribute.
  std::string word = std::string(name) == "strides" ? "stride" : name;
  raise_invalid("ExtractImagePatches requires the " + word +
                " attribute to contain 4 values, but got: " + std::to_string(values.size()));
}

struct Padding {
  pj_padding mode = PJ_PADDING_SAME;
  std::vector<int64_t> pads;  // top, bottom, left, right with PJ_PADDING_EXPLICIT
};

// "SAME" or "VALID" (TensorFlow's words for others), or with `explicit_pads` four pads.
Padding parse_padding(py::handle value, bool explicit_pads) {
  if (py::isinstance<py::str>(value)) {
    std::string p = value.cast<std::string>();
    if (p == "SAME") return {PJ_PADDING_SAME, {}};
    if (p == "VALID") return {PJ_PADDING_VALID, {}};
    raise_invalid("Value for attr 'padding' of \"" + p +
                  "\" is not in the list of allowed values: \"SAME\", \"VALID\"");
  }
  if (!explicit_pads) throw py::type_error("padding must be \"SAME\" or \"VALID\", got " + type_name(value));
  if (!PySequence_Check(value.ptr()) || py::isinstance<py::bytes>(value)) {
    throw py::type_error("padding must be \"SAME\", \"VALID\" or (top, bottom, left, right), got " + type_name(value));
  }
  Padding padding{PJ_PADDING_EXPLICIT, int_list(value, "padding")};
  if (padding.pads.size() != 4) {
    raise_invalid("padding must be \"SAME\", \"VALID\" or 4 pads (top, bottom, left, right), but got " +
                  std::to_string(padding.pads.size()) + " values");
  }
  return padding;
}

pj_backend parse_backend(py::handle value) {
  if (!py::isinstance<py::str>(value)) throw py::type_error("backend must be a string, got " + type_name(value));
  std::string name = value.cast<std::string>();
  pj_backend backend;
  if (pj_backend_from_name(name.c_str(), &backend) != PJ_OK) raise_last(PJ_INVALID_ARGUMENT);
  return backend;
}

int parse_threads(py::handle value) {
  PyObject* index = PyBool_Check(value.ptr()) ? nullptr : PyNumber_Index(value.ptr());
  if (!index) {
    PyErr_Clear();
    throw py::type_error("threads must be an integer, got " + type_name(value));
  }
  py::object owned = py::reinterpret_steal<py::object>(index);
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(index, &overflow);
  if (overflow || v < INT32_MIN || v > INT32_MAX) {
    raise_invalid("threads must be >= 0 (0 chooses) and fit an int, but got " + std::string(py::str(owned)));
  }
  return static_cast<int>(v);
}

// One of a few names (layout, patch_order, patches).
template <typename Enum, size_t N>
Enum parse_choice(py::handle value, const char* option, const std::array<std::pair<const char*, Enum>, N>& choices) {
  std::string allowed;
  for (const auto& [name, e] : choices) allowed += std::string(allowed.empty() ? "\"" : " or \"") + name + "\"";
  if (!py::isinstance<py::str>(value)) {
    throw py::type_error(std::string(option) + " must be " + allowed + ", got " + type_name(value));
  }
  std::string text = value.cast<std::string>();
  for (const auto& [name, e] : choices) {
    if (text == name) return e;
  }
  raise_invalid(std::string(option) + " must be " + allowed + ", but got \"" + text + "\"");
}

// The engine formats of pj_spec_ex (SEMANTICS.md §6-§9), TensorFlow's op by default.
struct Format {
  pj_layout layout = PJ_LAYOUT_NHWC;
  pj_patch_order patch_order = PJ_PATCH_ORDER_HWC;
  pj_patches patches = PJ_PATCHES_ROWS;
  std::array<unsigned char, 16> pad_value{};  // one element's bytes, in the array's byte order
  size_t pad_value_size = 0;                  // 0: all zero, TensorFlow's
};

Format parse_format(py::handle layout, py::handle patch_order, py::handle patches, py::handle pad_value) {
  Format f;
  f.layout =
      parse_choice(layout, "layout", std::array{std::pair{"nhwc", PJ_LAYOUT_NHWC}, std::pair{"nchw", PJ_LAYOUT_NCHW}});
  f.patch_order = parse_choice(patch_order, "patch_order",
                               std::array{std::pair{"hwc", PJ_PATCH_ORDER_HWC}, std::pair{"chw", PJ_PATCH_ORDER_CHW}});
  f.patches = parse_choice(patches, "patches",
                           std::array{std::pair{"rows", PJ_PATCHES_ROWS}, std::pair{"columns", PJ_PATCHES_COLUMNS}});
  if (!pad_value.is_none()) {
    if (!py::isinstance<py::bytes>(pad_value)) {
      throw py::type_error("pad_value must be bytes here (patchjit.extract converts numbers), got " +
                           type_name(pad_value));
    }
    std::string bytes = pad_value.cast<std::string>();
    if (bytes.size() > f.pad_value.size()) raise_invalid("pad_value has more than 16 bytes");
    std::copy(bytes.begin(), bytes.end(), f.pad_value.begin());
    f.pad_value_size = bytes.size();
  }
  return f;
}

struct Attributes {
  std::vector<int64_t> ksizes, strides, rates;
};

// TensorFlow's argument checks that the C API's fixed arrays cannot express (SEMANTICS.md §2.3
// step 1): the input's rank, then the attributes' lengths in the order ksizes, strides, rates.
Attributes check_lists(const std::vector<int64_t>& shape, py::handle ksizes, py::handle strides, py::handle rates) {
  if (shape.size() != 4) raise_invalid("input must be 4-dimensional" + shape_text(shape.data(), shape.size()));
  Attributes a{int_list(ksizes, "ksizes"), int_list(strides, "strides"), int_list(rates, "rates")};
  check_length("ksizes", a.ksizes);
  check_length("strides", a.strides);
  check_length("rates", a.rates);
  return a;
}

patchjit::Spec make_spec(pj_dtype dtype, const std::vector<int64_t>& shape, const Attributes& a, const Padding& padding,
                         const Format& format) {
  patchjit::Spec spec(dtype, patchjit::Shape{shape[0], shape[1], shape[2], shape[3]});
  for (int i = 0; i < 4; ++i) {
    spec.base.ksizes[i] = a.ksizes[i];
    spec.base.strides[i] = a.strides[i];
    spec.base.rates[i] = a.rates[i];
  }
  spec.padding(padding.mode);
  if (padding.mode == PJ_PADDING_EXPLICIT)
    spec.pads(padding.pads[0], padding.pads[1], padding.pads[2], padding.pads[3]);
  spec.layout(format.layout).patch_order(format.patch_order).patches(format.patches);
  if (format.pad_value_size != 0) {
    const size_t size = pj_dtype_size(dtype);
    if (format.pad_value_size != size) {
      raise_invalid("pad_value: " + std::to_string(format.pad_value_size) + " bytes given, but one " +
                    pj_dtype_name(dtype) + " element has " + std::to_string(size));
    }
    std::copy(format.pad_value.begin(), format.pad_value.end(), spec.pj_spec_ex::pad_value);
  }
  return spec;
}

std::vector<int64_t> shape_of(const py::array& a) { return {a.shape(), a.shape() + a.ndim()}; }

// ---- Kernels -----------------------------------------------------------------------------

// Extract's kernel for `spec`, or with `fold` the fold of that extract (patches -> image).
std::shared_ptr<const patchjit::Kernel> create_kernel(const patchjit::Spec& spec, pj_backend backend,
                                                      std::optional<pj_fold_mode> fold = std::nullopt) {
  std::optional<patchjit::Result<patchjit::Kernel>> kernel;
  {
    py::gil_scoped_release release;  // a cold compile takes microseconds (xbyak) to milliseconds (llvm)
    // The status is read on this thread.
    kernel.emplace(fold ? patchjit::Kernel::try_fold(spec, *fold, backend)
                        : patchjit::Kernel::try_create(spec, backend));
  }
  if (!*kernel) raise_status(kernel->status().code, kernel->status().message);
  return std::make_shared<const patchjit::Kernel>(std::move(*kernel).value());
}

// An input as a kernel reads it: the caller's array where the library can read it through the
// strides `s` gives (*strides set; all 0 when dense: library_strides for images,
// library_patch_strides for fold's patches), else a dense copy (*strides all 0, *copied).
template <size_t N>
py::array readable(const py::array& a, const std::optional<std::array<int64_t, N>>& s, std::array<int64_t, N>* strides,
                   bool* copied) {
  *copied = !s;
  *strides = s.value_or(std::array<int64_t, N>{});
  if (s) return a;
  py::array dense = py::array::ensure(a, py::array::c_style);
  if (!dense) throw py::error_already_set();
  return dense;
}

// Runs `kernel` on `input` (the images as the kernel reads them) into a new or the caller's output.
py::object run_kernel(const patchjit::Kernel& kernel, const ArrayArg& images, const py::array& input, bool copied,
                      py::handle out, int threads) {
  Output output = make_output(images, input, kernel.output_shape(), kernel.output_rank(), out);
  if (copied && overlap(images.array, output.array)) {
    raise_invalid("images and out overlap: they must be separate buffers");
  }
  const void* in_ptr = input.data();
  void* out_ptr = output.array.mutable_data();
  pj_status code;
  {
    py::gil_scoped_release release;
    code = pj_kernel_run(kernel.get(), in_ptr, out_ptr, threads);
  }
  if (code != PJ_OK) raise_last(code);
  return output.result;
}

// ---- Fold --------------------------------------------------------------------------------

pj_fold_mode parse_mode(py::handle value) {
  return parse_choice(value, "mode", std::array{std::pair{"sum", PJ_FOLD_SUM}, std::pair{"mean", PJ_FOLD_MEAN}});
}

// The patches' shape for fold: what extract gives for the spec's image (rank 4 rows, 3 columns).
std::vector<int64_t> patches_shape(const patchjit::Spec& spec) {
  int64_t shape[4];
  int rank = 4;
  if (pj_status code = pj_output_shape_ex(&spec, shape, &rank); code != PJ_OK) raise_last(code);
  return {shape, shape + rank};
}

void check_patches(const patchjit::Spec& spec, const std::vector<int64_t>& want, const py::array& patches,
                   const char* what) {
  const std::vector<int64_t> given = shape_of(patches);
  if (given == want) return;
  raise_invalid(std::string(what) + " has shape " + shape_text(given.data(), given.size()) + " but extract gives " +
                shape_text(want.data(), want.size()) + " for the image shape " + shape_text(spec.base.input_shape, 4) +
                " with these attributes and format");
}

// The patches' strides in elements as pj_spec_ex's output_strides take them for fold's input
// (between patches, or rows of the [K, OH*OW] matrix, then between images; all 0 for a dense
// array), or nullopt when the library cannot read the array where it lies: the innermost
// dimension not contiguous, OH and OW not one stride of positions apart, a negative, zero or
// unaligned stride, or dimensions out of nesting order. Such arrays are copied.
std::optional<std::array<int64_t, 2>> library_patch_strides(const py::array& a, bool columns) {
  if (a.size() == 0 || c_contiguous(a)) return std::array<int64_t, 2>{0, 0};
  const int64_t e = a.itemsize();
  const int inner = static_cast<int>(a.ndim()) - 1;  // K for rows [N, OH, OW, K], positions for columns [N, K, L]
  if (a.shape(inner) > 1 && a.strides(inner) != e) return std::nullopt;
  auto elements = [&](py::ssize_t bytes) -> std::optional<int64_t> {
    if (bytes <= 0 || bytes % e != 0) return std::nullopt;
    return bytes / e;
  };
  // The leading dimension: rows' positions (OW, and OH one OW further), columns' matrix rows.
  int64_t lines = columns ? a.shape(1) : a.shape(1) * a.shape(2), ld = a.shape(inner);
  if (lines > 1) {
    const int d = columns || a.shape(2) == 1 ? 1 : 2;
    std::optional<int64_t> v = elements(a.strides(d));
    if (!v || *v < a.shape(inner)) return std::nullopt;
    if (!columns && a.shape(1) > 1 && a.shape(2) > 1 && a.strides(1) != a.strides(2) * a.shape(2)) return std::nullopt;
    ld = *v;
  }
  int64_t image = 0;
  if (a.shape(0) > 1) {
    std::optional<int64_t> v = elements(a.strides(0));
    int64_t span = 0;
    if (!v || __builtin_mul_overflow(lines, ld, &span) || *v < span) return std::nullopt;
    image = *v;
  }
  return std::array<int64_t, 2>{ld == a.shape(inner) ? 0 : ld, image};
}

// Every functional fold: a kernel per call (a cache hit after the first).
py::object fold(py::handle patches, py::handle image_shape, py::handle ksizes, py::handle strides, py::handle rates,
                const Padding& padding, const Format& format, pj_fold_mode mode, py::handle out, py::handle backend,
                py::handle threads, py::handle dtype) {
  ArrayArg arg = as_array(patches, "patches", false);
  std::optional<pj_dtype> requested = parse_dtype(dtype, "dtype");
  std::vector<int64_t> shape = int_list(image_shape, "image_shape");
  if (shape.size() != 4) raise_invalid("image_shape must have 4 dimensions" + shape_text(shape.data(), shape.size()));
  Attributes lists = check_lists(shape, ksizes, strides, rates);
  pj_dtype type = element_type(arg, requested, "patches");
  patchjit::Spec spec = make_spec(type, shape, lists, padding, format);
  const pj_backend b = parse_backend(backend);
  const int n = parse_threads(threads);
  check_patches(spec, patches_shape(spec), arg.array, "patches");
  bool copied;
  std::array<int64_t, 2> patch_strides;
  py::array input =
      readable(arg.array, library_patch_strides(arg.array, spec.pj_spec_ex::patches == PJ_PATCHES_COLUMNS),
               &patch_strides, &copied);
  spec.output_strides(patch_strides[0], patch_strides[1]);
  std::shared_ptr<const patchjit::Kernel> kernel = create_kernel(spec, b, mode);
  return run_kernel(*kernel, arg, input, copied, out, n);
}

const char* padding_name(const patchjit::Spec& spec) {
  switch (spec.base.padding) {
    case PJ_PADDING_SAME:
      return "SAME";
    case PJ_PADDING_VALID:
      return "VALID";
    default:
      return "EXPLICIT";
  }
}

// patchjit.Kernel: one signature compiled once, called many times. A strided view is read
// through a second kernel for its strides (kept for the next call), else copied.
class PyKernel {
 public:
  PyKernel(py::handle dtype, py::handle shape, py::handle ksizes, py::handle strides, py::handle rates,
           py::handle padding, py::handle backend, py::handle pad_value, py::handle layout, py::handle patch_order,
           py::handle patches, py::handle mode)
      : dtype_(*require_dtype(dtype)),
        backend_(parse_backend(backend)),
        fold_(mode.is_none() ? std::nullopt : std::optional<pj_fold_mode>(parse_mode(mode))),
        spec_(kernel_spec(dtype_, int_list(shape, "shape"), ksizes, strides, rates, padding,
                          parse_format(layout, patch_order, patches, pad_value))),
        input_shape_(fold_ ? patches_shape(spec_)
                           : std::vector<int64_t>(spec_.base.input_shape, spec_.base.input_shape + 4)),
        kernel_(create_kernel(spec_, backend_, fold_)) {}

  py::object call(py::handle images, py::handle out, py::handle threads) {
    if (fold_) return call_fold(images, out, threads);
    ArrayArg arg = as_array(images, "images", false);
    pj_dtype type =
        element_type(arg, dtype_ == PJ_BFLOAT16 ? std::optional<pj_dtype>(PJ_BFLOAT16) : std::nullopt, "images");
    if (type != dtype_) {
      throw py::type_error(std::string("images has dtype ") + pj_dtype_name(type) + " but the kernel's dtype is " +
                           pj_dtype_name(dtype_));
    }
    bool same = arg.array.ndim() == 4;
    for (int i = 0; same && i < 4; ++i) same = arg.array.shape(i) == spec_.base.input_shape[i];
    if (!same) {
      std::vector<int64_t> given = shape_of(arg.array);
      raise_invalid("images has shape " + shape_text(given.data(), given.size()) + " but the kernel's input shape is " +
                    shape_text(spec_.base.input_shape, 4));
    }
    const int n = parse_threads(threads);
    std::array<int64_t, 3> strides;
    bool copied;
    py::array input = readable(arg.array, library_strides(arg.array), &strides, &copied);
    std::shared_ptr<const patchjit::Kernel> kernel = kernel_;  // held while the GIL is released
    if (strides != std::array<int64_t, 3>{0, 0, 0}) kernel = strided_kernel(strides);
    return run_kernel(*kernel, arg, input, copied, out, n);
  }

  // The kernel of the spec with the input's strides (the images' three for extract; the
  // patches' two and a 0 for fold), kept for the next call with the same strides.
  std::shared_ptr<const patchjit::Kernel> strided_kernel(const std::array<int64_t, 3>& strides) {
    if (!strided_ || strided_key_ != strides) {
      patchjit::Spec spec = spec_;
      if (fold_) {
        spec.output_strides(strides[0], strides[1]);
      } else {
        spec.input_strides(strides[0], strides[1], strides[2]);
      }
      std::shared_ptr<const patchjit::Kernel> made = create_kernel(spec, backend_, fold_);
      strided_ = made, strided_key_ = strides;
    }
    return strided_;
  }

  // A fold kernel's call: patches of exactly the kernel's input shape, a strided view read
  // where it lies through a second kernel (as for extract), else copied.
  py::object call_fold(py::handle patches, py::handle out, py::handle threads) {
    ArrayArg arg = as_array(patches, "patches", false);
    pj_dtype type =
        element_type(arg, dtype_ == PJ_BFLOAT16 ? std::optional<pj_dtype>(PJ_BFLOAT16) : std::nullopt, "patches");
    if (type != dtype_) {
      throw py::type_error(std::string("patches has dtype ") + pj_dtype_name(type) + " but the kernel's dtype is " +
                           pj_dtype_name(dtype_));
    }
    check_patches(spec_, input_shape_, arg.array, "patches");
    const int n = parse_threads(threads);
    bool copied;
    std::array<int64_t, 2> strides;
    py::array input =
        readable(arg.array, library_patch_strides(arg.array, spec_.pj_spec_ex::patches == PJ_PATCHES_COLUMNS), &strides,
                 &copied);
    std::shared_ptr<const patchjit::Kernel> kernel = kernel_;  // held while the GIL is released
    if (strides != std::array<int64_t, 2>{0, 0}) kernel = strided_kernel({strides[0], strides[1], 0});
    return run_kernel(*kernel, arg, input, copied, out, n);
  }

  py::tuple output_shape() const {
    patchjit::Shape s = kernel_->output_shape();
    return kernel_->output_rank() == 3 ? py::make_tuple(s[0], s[1], s[2]) : py::make_tuple(s[0], s[1], s[2], s[3]);
  }
  py::tuple input_shape() const {
    py::tuple t(input_shape_.size());
    for (size_t i = 0; i < input_shape_.size(); ++i) t[i] = input_shape_[i];
    return t;
  }
  py::object mode() const {
    if (!fold_) return py::none();
    return py::str(*fold_ == PJ_FOLD_MEAN ? "mean" : "sum");
  }
  std::string dtype() const { return pj_dtype_name(dtype_); }
  std::string backend() const { return pj_backend_name(kernel_->backend()); }
  std::string describe() const { return kernel_->describe(); }
  std::string repr() const {
    std::string padding = padding_name(spec_);
    if (spec_.base.padding == PJ_PADDING_EXPLICIT) padding = shape_text(spec_.pj_spec_ex::pads, 4, "(", ")");
    return std::string(fold_ ? "patchjit.FoldKernel(" : "patchjit.Kernel(") + pj_dtype_name(dtype_) + ", " +
           shape_text(spec_.base.input_shape, 4) + ", ksizes=" + shape_text(spec_.base.ksizes, 4) +
           ", strides=" + shape_text(spec_.base.strides, 4) + ", rates=" + shape_text(spec_.base.rates, 4) +
           ", padding=" + padding + (spec_.pj_spec_ex::layout == PJ_LAYOUT_NCHW ? ", layout=nchw" : "") +
           (spec_.pj_spec_ex::patch_order == PJ_PATCH_ORDER_CHW ? ", patch_order=chw" : "") +
           (spec_.pj_spec_ex::patches == PJ_PATCHES_COLUMNS ? ", patches=columns" : "") +
           (fold_ ? std::string(", mode=") + (*fold_ == PJ_FOLD_MEAN ? "mean" : "sum") : std::string()) +
           ", backend=" + backend() + ")";
  }

 private:
  static patchjit::Spec kernel_spec(pj_dtype dtype, const std::vector<int64_t>& shape, py::handle ksizes,
                                    py::handle strides, py::handle rates, py::handle padding, const Format& format) {
    Attributes a = check_lists(shape, ksizes, strides, rates);
    return make_spec(dtype, shape, a, parse_padding(padding, true), format);
  }
  static std::optional<pj_dtype> require_dtype(py::handle dtype) {
    if (dtype.is_none()) throw py::type_error("dtype must be given: a type name, numpy dtype or torch dtype");
    return parse_dtype(dtype, "dtype");
  }

  pj_dtype dtype_;
  pj_backend backend_;
  std::optional<pj_fold_mode> fold_;  // a fold kernel (patches -> image) in this mode
  patchjit::Spec spec_;
  std::vector<int64_t> input_shape_;  // the images' shape, or a fold kernel's patches'
  std::shared_ptr<const patchjit::Kernel> kernel_;
  std::shared_ptr<const patchjit::Kernel> strided_;  // for the last strided view's strides
  std::array<int64_t, 3> strided_key_{};
};

// Every functional extract once its arguments are read: the spec, the kernel (a cache hit after
// the first call) for the images' strides, the run.
py::object extract_spec(const ArrayArg& arg, pj_dtype type, const std::vector<int64_t>& shape, const Attributes& lists,
                        const Padding& padding, const Format& format, py::handle out, py::handle backend,
                        py::handle threads) {
  patchjit::Spec spec = make_spec(type, shape, lists, padding, format);
  const pj_backend b = parse_backend(backend);
  const int n = parse_threads(threads);
  std::array<int64_t, 3> input_strides;
  bool copied;
  py::array input = readable(arg.array, library_strides(arg.array), &input_strides, &copied);
  spec.input_strides(input_strides[0], input_strides[1], input_strides[2]);
  std::shared_ptr<const patchjit::Kernel> kernel = create_kernel(spec, b);
  return run_kernel(*kernel, arg, input, copied, out, n);
}

py::object extract(py::handle images, py::handle ksizes, py::handle strides, py::handle rates, const Padding* padding,
                   py::handle padding_value, const Format& format, py::handle out, py::handle backend,
                   py::handle threads, py::handle dtype) {
  ArrayArg arg = as_array(images, "images", false);
  std::vector<int64_t> shape = shape_of(arg.array);
  std::optional<pj_dtype> requested = parse_dtype(dtype, "dtype");
  // TensorFlow's order: the input's rank and the attributes' lengths, then the element type.
  Attributes lists = check_lists(shape, ksizes, strides, rates);
  pj_dtype type = element_type(arg, requested, "images");
  return extract_spec(arg, type, shape, lists, padding ? *padding : parse_padding(padding_value, false), format, out,
                      backend, threads);
}

// torch.nn.functional.unfold on [N, C, H, W] (patchjit.unfold takes unbatched inputs apart):
// its pairs read here, in C++, since the functional call's cost is what a tiny input measures.
py::object unfold(py::handle input, py::handle kernel_size, py::handle dilation, py::handle padding, py::handle stride,
                  py::handle out, py::handle backend, py::handle threads, py::handle dtype) {
  const auto [kh, kw] = int_pair(kernel_size, "kernel_size");
  const auto [dh, dw] = int_pair(dilation, "dilation");
  const auto [ph, pw] = int_pair(padding, "padding");
  const auto [sh, sw] = int_pair(stride, "stride");
  ArrayArg arg = as_array(input, "input", false);
  std::vector<int64_t> shape = shape_of(arg.array);
  std::optional<pj_dtype> requested = parse_dtype(dtype, "dtype");
  if (shape.size() != 4) raise_invalid("input must be 4-dimensional" + shape_text(shape.data(), shape.size()));
  // A dimension has no block (torch's count below 1) where its padded size is shorter than the
  // dilated kernel: torch's message. Other bad values are the library's to name. In 128 bits:
  // the values are any int64, as in Python.
  using Wide = __int128;
  auto span = [](int64_t size, int64_t k, int64_t d, int64_t p) {
    return Wide{size} + 2 * Wide{p} - Wide{d} * (k - 1);
  };
  if (std::min({kh, kw, dh, dw, sh, sw}) >= 1 && std::min(ph, pw) >= 0 &&
      std::min(span(shape[2], kh, dh, ph), span(shape[3], kw, dw, pw)) < 1) {
    auto blocks = [&](int64_t size, int64_t k, int64_t d, int64_t p, int64_t s) {
      const Wide rest = span(size, k, d, p) - 1;
      return (rest >= 0 ? rest / s : -((-rest + s - 1) / s)) + 1;  // Python's floor division
    };
    auto text = [](Wide v) {
      std::string digits;
      const bool negative = v < 0;
      do {
        const int digit = static_cast<int>(v % 10);
        digits.insert(digits.begin(), static_cast<char>('0' + (digit < 0 ? -digit : digit)));
        v /= 10;
      } while (v != 0);
      return negative ? "-" + digits : digits;
    };
    auto pair = [&](Wide a, Wide b) { return "(" + text(a) + ", " + text(b) + ")"; };
    raise_invalid("Given input with spatial size " + pair(shape[2], shape[3]) + ", kernel_size=" + pair(kh, kw) +
                  ", dilation=" + pair(dh, dw) + ", padding=" + pair(ph, pw) +
                  ", calculated shape of the array of sliding blocks as " +
                  pair(blocks(shape[2], kh, dh, ph, sh), blocks(shape[3], kw, dw, pw, sw)) +
                  ", but its components must be at least one.");
  }
  const pj_dtype type = element_type(arg, requested, "input");
  const Attributes lists{{1, kh, kw, 1}, {1, sh, sw, 1}, {1, dh, dw, 1}};
  Format format;
  format.layout = PJ_LAYOUT_NCHW, format.patch_order = PJ_PATCH_ORDER_CHW, format.patches = PJ_PATCHES_COLUMNS;
  return extract_spec(arg, type, shape, lists, Padding{PJ_PADDING_EXPLICIT, {ph, ph, pw, pw}}, format, out, backend,
                      threads);
}

const char* kExtractDoc =
    R"(extract_image_patches(images, ksizes, strides, rates, padding, name=None, *, out=None, backend="auto", threads=0, dtype=None)

TensorFlow's tf.compat.v1.extract_image_patches, bit-exact: every ksizes[1] x ksizes[2] window
of the NHWC images, flattened along the last axis (patch row, patch column, channel).

images   numpy array or CPU torch tensor [batch, rows, cols, depth] of a patchjit type (float16
         is half; bfloat16 as uint16/int16 data with dtype="bfloat16", or a torch.bfloat16 tensor)
ksizes, strides, rates   four integers each, [1, rows, cols, 1]
padding  "SAME" or "VALID"
name     accepted and ignored (TensorFlow's)
out      optional C-contiguous array of the output's shape and dtype, written and returned
backend  "auto", "xbyak", "llvm", "interp" or "reference"
threads  0 chooses from the output size; N >= 1 uses at most N threads
dtype    None (from images) or "bfloat16"

Returns [batch, out_rows, out_cols, ksize_rows*ksize_cols*depth], numpy for numpy and torch for
torch. Errors: InvalidArgumentError, OutOfRangeError, UnimplementedError (TensorFlow's words);
TypeError for arguments of the wrong Python type.)";

const char* kExtractPatchesDoc =
    R"(extract_patches(images, sizes, strides, rates, padding, name=None, *, out=None, backend="auto", threads=0, dtype=None)

TensorFlow 2's tf.image.extract_patches: extract_image_patches with `sizes` for `ksizes`. The
messages still say "ksizes", as TensorFlow's do (the op's attribute is named so).)";

const char* kKernelDoc = R"(Kernel(dtype, shape, ksizes, strides, rates, padding, *, backend="auto")

One signature compiled once, to call many times: kernel(images, *, out=None, threads=0).

dtype    a type name ("float32", "half", "bfloat16", ...), numpy dtype or torch dtype
shape    the NHWC input shape [batch, rows, cols, depth]; calls must pass exactly this shape
ksizes, strides, rates, padding   as in extract_image_patches

Properties: output_shape, input_shape, dtype, backend (the one "auto" chose); describe() prints
the signature and the plan. Compiled code is shared through patchjit's kernel cache.)";

const char* kCallDoc = R"(__call__(images, *, out=None, threads=0)

Runs the kernel: images must have the kernel's shape and dtype; returns the patches (numpy for
numpy, torch for torch) or `out`.)";

}  // namespace

PYBIND11_MODULE(_patchjit, m) {
  m.doc() = "patchjit's compiled core; use the patchjit package.";
  py::options options;
  options.disable_function_signatures();  // the docstrings give them with their defaults

  // Exception classes, TensorFlow's names.
  py::object value_error = py::reinterpret_borrow<py::object>(PyExc_ValueError);
  auto make = [&](const char* name, PyObject* bases, const char* doc) {
    std::string qualified = std::string("patchjit.") + name;
    PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
    if (!type) throw py::error_already_set();
    m.add_object(name, py::reinterpret_borrow<py::object>(type));
    return type;
  };
  error_types.base = make("Error", PyExc_Exception, "Base class of the errors patchjit reports (pj_status != PJ_OK).");
  auto bases = [](PyObject* a, PyObject* b) { return py::make_tuple(py::handle(a), py::handle(b)).release().ptr(); };
  error_types.by_status[PJ_INVALID_ARGUMENT] =
      make("InvalidArgumentError", bases(error_types.base, PyExc_ValueError),
           "TensorFlow's InvalidArgument (PJ_INVALID_ARGUMENT): an argument breaks a rule; the message says which.");
  error_types.by_status[PJ_OUT_OF_RANGE] =
      make("OutOfRangeError", bases(error_types.base, PyExc_ValueError),
           "TensorFlow's OutOfRange (PJ_OUT_OF_RANGE): an attribute entry below 1.");
  error_types.by_status[PJ_UNIMPLEMENTED] =
      make("UnimplementedError", bases(error_types.base, PyExc_ValueError),
           "TensorFlow's Unimplemented (PJ_UNIMPLEMENTED): batch/depth attribute entries other than 1, or a "
           "backend this build or CPU cannot run.");
  error_types.by_status[PJ_RESOURCE_EXHAUSTED] =
      make("ResourceExhaustedError", bases(error_types.base, PyExc_MemoryError),
           "PJ_RESOURCE_EXHAUSTED: memory (or a similar resource) ran out.");
  error_types.by_status[PJ_INTERNAL] =
      make("InternalError", bases(error_types.base, PyExc_RuntimeError),
           "PJ_INTERNAL: a patchjit bug (an unexpected failure inside); please report it.");

  py::class_<PyKernel>(m, "Kernel", kKernelDoc)
      .def(py::init<py::handle, py::handle, py::handle, py::handle, py::handle, py::handle, py::handle, py::handle,
                    py::handle, py::handle, py::handle, py::handle>(),
           py::arg("dtype"), py::arg("shape"), py::arg("ksizes"), py::arg("strides"), py::arg("rates"),
           py::arg("padding"), py::kw_only(), py::arg("backend") = "auto", py::arg("pad_value") = py::none(),
           py::arg("layout") = "nhwc", py::arg("patch_order") = "hwc", py::arg("patches") = "rows",
           py::arg("mode") = py::none())
      .def("__call__", &PyKernel::call, py::arg("images"), py::kw_only(), py::arg("out") = py::none(),
           py::arg("threads") = 0, kCallDoc)
      .def_property_readonly("output_shape", &PyKernel::output_shape,
                             "The output shape: [N, OH, OW, K] for rows, [N, K, OH*OW] for columns.")
      .def_property_readonly("input_shape", &PyKernel::input_shape,
                             "The input shape the kernel takes (a fold kernel's: the patches').")
      .def_property_readonly("mode", &PyKernel::mode, "A fold kernel's mode (\"sum\" or \"mean\"); None for extract.")
      .def_property_readonly("dtype", &PyKernel::dtype, "The element type's name (\"float32\", ...).")
      .def_property_readonly("backend", &PyKernel::backend, "The backend that runs it (\"auto\" resolved).")
      .def("describe", &PyKernel::describe, "describe() -> str: the signature, padding and plan.")
      .def("__repr__", &PyKernel::repr);

  auto ext = [](py::handle images, py::handle ksizes, py::handle strides, py::handle rates, py::handle padding,
                py::handle /*name*/, py::handle out, py::handle backend, py::handle threads, py::handle dtype) {
    return extract(images, ksizes, strides, rates, nullptr, padding, Format{}, out, backend, threads, dtype);
  };
  m.def("extract_image_patches", ext, py::arg("images"), py::arg("ksizes"), py::arg("strides"), py::arg("rates"),
        py::arg("padding"), py::arg("name") = py::none(), py::kw_only(), py::arg("out") = py::none(),
        py::arg("backend") = "auto", py::arg("threads") = 0, py::arg("dtype") = py::none(), kExtractDoc);
  m.def("extract_patches", ext, py::arg("images"), py::arg("sizes"), py::arg("strides"), py::arg("rates"),
        py::arg("padding"), py::arg("name") = py::none(), py::kw_only(), py::arg("out") = py::none(),
        py::arg("backend") = "auto", py::arg("threads") = 0, py::arg("dtype") = py::none(), kExtractPatchesDoc);

  // The general form's core; patchjit.extract and patchjit.unfold (Python) normalize its arguments.
  m.def(
      "_extract_ex",
      [](py::handle images, py::handle ksizes, py::handle strides, py::handle rates, py::handle padding,
         py::handle pad_value, py::handle layout, py::handle patch_order, py::handle patches, py::handle out,
         py::handle backend, py::handle threads, py::handle dtype) {
        const Padding p = parse_padding(padding, true);
        const Format f = parse_format(layout, patch_order, patches, pad_value);
        return extract(images, ksizes, strides, rates, &p, padding, f, out, backend, threads, dtype);
      },
      py::arg("images"), py::arg("ksizes"), py::arg("strides"), py::arg("rates"), py::arg("padding"),
      py::arg("pad_value"), py::arg("layout"), py::arg("patch_order"), py::arg("patches"), py::arg("out"),
      py::arg("backend"), py::arg("threads"), py::arg("dtype"),
      "_extract_ex(images, ksizes, strides, rates, padding, pad_value, layout, patch_order, patches, out, "
      "backend, threads, dtype): patchjit.extract's core (pad_value as bytes or None).");
  m.def(
      "_pair",
      [](py::handle value, const char* name) {
        const auto [a, b] = int_pair(value, name);
        return py::make_tuple(a, b);
      },
      py::arg("value"), py::arg("name"),
      "_pair(value, name) -> (int, int): torch's int-or-pair argument, as _unfold reads it (fold's).");
  m.def("_unfold", &unfold, py::arg("input"), py::arg("kernel_size"), py::arg("dilation"), py::arg("padding"),
        py::arg("stride"), py::arg("out"), py::arg("backend"), py::arg("threads"), py::arg("dtype"),
        "_unfold(input, kernel_size, dilation, padding, stride, out, backend, threads, dtype): patchjit.unfold's "
        "core for [N, C, H, W] inputs.");
  // Fold's core; patchjit.fold_patches, fold and extract_image_patches_grad (Python) normalize
  // its arguments.
  m.def(
      "_fold_ex",
      [](py::handle patches, py::handle image_shape, py::handle ksizes, py::handle strides, py::handle rates,
         py::handle padding, py::handle layout, py::handle patch_order, py::handle patches_as, py::handle mode,
         py::handle out, py::handle backend, py::handle threads, py::handle dtype) {
        const Padding p = parse_padding(padding, true);
        const Format f = parse_format(layout, patch_order, patches_as, py::none());
        return fold(patches, image_shape, ksizes, strides, rates, p, f, parse_mode(mode), out, backend, threads, dtype);
      },
      py::arg("patches"), py::arg("image_shape"), py::arg("ksizes"), py::arg("strides"), py::arg("rates"),
      py::arg("padding"), py::arg("layout"), py::arg("patch_order"), py::arg("patches_as"), py::arg("mode"),
      py::arg("out"), py::arg("backend"), py::arg("threads"), py::arg("dtype"),
      "_fold_ex(patches, image_shape, ksizes, strides, rates, padding, layout, patch_order, patches_as, mode, out, "
      "backend, threads, dtype): patchjit.fold_patches's core.");
  m.def(
      "backend_available",
      [](py::handle name) {
        pj_backend b = parse_backend(name);
        return pj_backend_available(b) == PJ_OK;
      },
      py::arg("backend"), "backend_available(backend) -> bool: whether this build and CPU can run it.");
  m.def(
      "host_isa", [] { return std::string(pj_isa_name(pj_host_isa())); },
      "host_isa() -> str: the instruction set the xbyak backend targets here (\"avx512\", \"avx2\", \"none\").");
  m.def(
      "cache_stats",
      [] {
        pj_cache_stats s;
        pj_cache_get_stats(&s);
        py::dict d;
        d["hits"] = s.hits, d["misses"] = s.misses, d["evictions"] = s.evictions, d["failures"] = s.failures;
        d["uncached"] = s.uncached, d["entries"] = s.entries, d["code_bytes"] = s.code_bytes;
        d["max_entries"] = s.max_entries, d["max_code_bytes"] = s.max_code_bytes;
        d["compile_seconds"] = s.compile_seconds;
        d["kept_output_bytes"] = kept_output.bytes;
        return d;
      },
      "cache_stats() -> dict: the kernel cache's counters (hits, misses, entries, ...) and kept_output_bytes, the "
      "freed output buffer kept for reuse (0 or one buffer of at least 4 MiB).");
  m.def(
      "cache_clear",
      [] {
        pj_cache_clear();
        release_kept_output();
      },
      "cache_clear(): empties the kernel cache, and returns the freed output buffer kept for reuse.");
  m.attr("__version__") = std::to_string(PJ_VERSION_MAJOR) + "." + std::to_string(PJ_VERSION_MINOR) + "." +
                          std::to_string(PJ_VERSION_PATCH);
}
