// JSON values across the Python boundary: nlohmann::json <-> plain Python objects (dict, list, str,
// int, float, bool, None; MessagePack bin <-> bytes), so scripts never see a C++ JSON type.
#pragma once

#include <pybind11/pybind11.h>
#include <nlohmann/json.hpp>

namespace flake::py {

namespace pyb = pybind11;
using json = nlohmann::json;

pyb::object to_python(const json& value);
// TypeError for values JSON cannot hold (sets, objects, non-string keys); OverflowError for ints
// outside the 64-bit range; ValueError for nesting deeper than the protocol allows.
json from_python(pyb::handle value);

}  // namespace flake::py
