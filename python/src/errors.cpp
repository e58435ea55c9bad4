#include "bindings.h"
#include "rnnkit/error.h"

namespace rnnkit::python {

// rnnkit::Error becomes rnnkit.Error (a ValueError: the input was wrong), OutOfVocabularyError
// rnnkit.UnknownTokenError, which is also a KeyError (a token looked up and not found).
// pybind11 tries the translator registered last first, so the subclass comes second.
void bind_errors(py::module_& m) {
  py::exception<Error>& error = py::register_exception<Error>(m, "Error", PyExc_ValueError);
  error.attr("__doc__") = "Bad input, file, option or size; the message says which.";
  auto unknown = py::register_exception<OutOfVocabularyError>(
      m, "UnknownTokenError", py::make_tuple(error, py::handle(PyExc_KeyError)));
  unknown.attr("__doc__") = "Text holds a token the model's vocabulary lacks (and it has no unk).";
  // KeyError's str() would show the message as a quoted repr.
  unknown.attr("__str__") = py::module_::import("builtins").attr("BaseException").attr("__str__");
}

}  // namespace rnnkit::python
