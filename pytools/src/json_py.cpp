// Recursive conversion bounded by depth: a cyclic Python list must fail cleanly, not overflow the
// stack.
#include "json_py.hpp"

#include <string>

namespace flake::py {
namespace {

constexpr int kMaxDepth = 512;

pyb::object to_python_at(const json& value, int depth) {
  if (depth > kMaxDepth) throw pyb::value_error("JSON value nested too deeply");
  switch (value.type()) {
    case json::value_t::null:
      return pyb::none();
    case json::value_t::boolean:
      return pyb::bool_(value.get<bool>());
    case json::value_t::number_integer:
      return pyb::int_(value.get<std::int64_t>());
    case json::value_t::number_unsigned:
      return pyb::int_(value.get<std::uint64_t>());
    case json::value_t::number_float:
      return pyb::float_(value.get<double>());
    case json::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      // Invalid UTF-8 from a peer becomes U+FFFD rather than an exception deep inside a test.
      PyObject* text = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
      if (!text) throw pyb::error_already_set();
      return pyb::reinterpret_steal<pyb::object>(text);
    }
    case json::value_t::binary: {
      const auto& b = value.get_binary();
      return pyb::bytes(reinterpret_cast<const char*>(b.data()), b.size());
    }
    case json::value_t::array: {
      pyb::list out(value.size());
      std::size_t i = 0;
      for (const auto& item : value) out[i++] = to_python_at(item, depth + 1);
      return out;
    }
    case json::value_t::object: {
      pyb::dict out;
      for (const auto& [key, item] : value.items())
        out[pyb::str(key)] = to_python_at(item, depth + 1);
      return out;
    }
    case json::value_t::discarded:
      break;
  }
  return pyb::none();
}

json from_python_at(pyb::handle value, int depth) {
  if (depth > kMaxDepth) throw pyb::value_error("value nested too deeply for JSON");
  if (value.is_none()) return nullptr;
  // bool before int: Python's bool is an int.
  if (pyb::isinstance<pyb::bool_>(value)) return value.cast<bool>();
  if (pyb::isinstance<pyb::int_>(value)) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
    if (overflow == 0) {
      if (v == -1 && PyErr_Occurred()) throw pyb::error_already_set();
      return static_cast<std::int64_t>(v);
    }
    if (overflow > 0) {
      const unsigned long long u = PyLong_AsUnsignedLongLong(value.ptr());
      if (PyErr_Occurred()) throw pyb::error_already_set();
      return static_cast<std::uint64_t>(u);
    }
    throw std::overflow_error("integer below -2**63 cannot be sent as JSON number");
  }
  if (pyb::isinstance<pyb::float_>(value)) return value.cast<double>();
  if (pyb::isinstance<pyb::str>(value)) return value.cast<std::string>();
  if (pyb::isinstance<pyb::bytes>(value) || pyb::isinstance<pyb::bytearray>(value)) {
    const std::string raw = pyb::isinstance<pyb::bytes>(value)
                                ? value.cast<std::string>()
                                : std::string(pyb::reinterpret_borrow<pyb::bytearray>(value));
    return json::binary(std::vector<std::uint8_t>(raw.begin(), raw.end()));
  }
  if (pyb::isinstance<pyb::dict>(value)) {
    json out = json::object();
    for (const auto& [key, item] : pyb::reinterpret_borrow<pyb::dict>(value)) {
      if (!pyb::isinstance<pyb::str>(key)) throw pyb::type_error("JSON object keys must be str");
      out[key.cast<std::string>()] = from_python_at(item, depth + 1);
    }
    return out;
  }
  if (pyb::isinstance<pyb::list>(value) || pyb::isinstance<pyb::tuple>(value)) {
    json out = json::array();
    for (const auto& item : value) out.push_back(from_python_at(item, depth + 1));
    return out;
  }
  throw pyb::type_error("cannot convert " +
                        std::string(pyb::str(value.get_type().attr("__name__"))) + " to JSON");
}

}  // namespace

pyb::object to_python(const json& value) {
  return to_python_at(value, 0);
}
json from_python(pyb::handle value) {
  return from_python_at(value, 0);
}

}  // namespace flake::py
