// The exception hierarchy: vtap.Error and its subclasses, with the C++ what() as message.

#include <exception>

#include <libvtap/model/error.hpp>
#include <libvtap/transport/transport.hpp>

#include "bindings.hpp"

namespace vtap::python {

namespace {

// Exception types live as long as the interpreter; leaked on purpose (no destructor order).
PyObject* error_type = nullptr;
PyObject* parse_error_type = nullptr;
PyObject* topology_error_type = nullptr;
PyObject* policy_error_type = nullptr;
PyObject* transport_error_type = nullptr;
PyObject* ownership_error_type = nullptr;

PyObject* new_type(py::module_& m, const char* name, PyObject* base, const char* doc) {
  const std::string qualified = std::string("vtap.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base, nullptr);
  if (type == nullptr) throw py::error_already_set();
  m.add_object(name, py::handle(type));  // the module takes its own reference
  return type;
}

// Raises an instance of `type` with `message` and the given attributes set on it.
void raise_with(PyObject* type, const char* message, const py::dict& attributes) {
  py::object exc = py::reinterpret_borrow<py::object>(type)(message);
  for (auto item : attributes) py::setattr(exc, item.first, item.second);
  PyErr_SetObject(type, exc.ptr());
}

}  // namespace

void init_errors(py::module_& m) {
  error_type = new_type(m, "Error", PyExc_RuntimeError,
                        "Root of every error libvtap raises; the message is the C++ what().");
  parse_error_type = new_type(m, "ParseError", error_type,
                              "Text that does not parse: an address, a match, a JSON document, a target.");
  topology_error_type = new_type(m, "TopologyError", error_type,
                                 "An inconsistent topology: duplicate names, dangling links, unknown switch.");
  policy_error_type = new_type(m, "PolicyError", error_type,
                               "A policy that cannot be translated. Attributes: policy_id (int) and field "
                               "(the offending field, e.g. 'sender'); both are also part of the message.");
  transport_error_type = new_type(m, "TransportError", error_type,
                                  "A connection failed, timed out, or the switch refused a message. Attributes: "
                                  "error_code (int), category (str), failed_index (int or None).");
  ownership_error_type = new_type(m, "OwnershipError", error_type,
                                  "A group or meter id in libvtap's range is used by another controller's flow "
                                  "or group; nothing was sent.");

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const TransportError& e) {
      py::dict attrs;
      attrs["error_code"] = e.code().value();
      attrs["category"] = std::string(e.code().category().name());
      attrs["failed_index"] = e.failed_index() ? py::object(py::int_(*e.failed_index())) : py::object(py::none());
      raise_with(transport_error_type, e.what(), attrs);
    } catch (const OwnershipError& e) {
      PyErr_SetString(ownership_error_type, e.what());
    } catch (const PolicyError& e) {
      py::dict attrs;
      attrs["policy_id"] = e.policy_id();
      attrs["field"] = e.field();
      raise_with(policy_error_type, e.what(), attrs);
    } catch (const TopologyError& e) {
      PyErr_SetString(topology_error_type, e.what());
    } catch (const ParseError& e) {
      PyErr_SetString(parse_error_type, e.what());
    } catch (const Error& e) {
      PyErr_SetString(error_type, e.what());
    }
  });
}

}  // namespace vtap::python
