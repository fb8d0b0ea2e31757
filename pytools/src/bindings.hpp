// One bind_* function per part of the module; module.cpp calls them in dependency order.
#pragma once

#include <pybind11/pybind11.h>

namespace flake::py {

void bind_client(pybind11::module_& m);
void bind_sidecar(pybind11::module_& m);
void bind_fault_proxy(pybind11::module_& m);
void bind_http(pybind11::module_& m);
void bind_conformance(pybind11::module_& m);
void bind_reference_client(pybind11::module_& m);

}  // namespace flake::py
