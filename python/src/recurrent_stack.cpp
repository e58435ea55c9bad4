#include <pybind11/stl.h>
#include <map>
#include <optional>

#include "bindings.h"
#include "rnnkit/cell_kind.h"
#include "rnnkit/checkpoint.h"
#include "rnnkit/error.h"
#include "rnnkit/rng.h"
#include "rnnkit/rnn.h"
#include "rnnkit/sampler.h"
#include "rnnkit/single_row_product.h"

namespace rnnkit::python {
namespace {

// The prefix RNN gives its parameter names; torch.nn.LSTM's state_dict has none.
constexpr const char* kPrefix = "rnn";

RNNOptions checked_options(const std::string& cell, int64_t input_size, int64_t hidden_size,
                           int64_t num_layers, bool bidirectional, float dropout,
                           int64_t proj_size) {
  if (input_size < 1)
    throw Error("input_size must be at least 1, got " + std::to_string(input_size));
  if (hidden_size < 1)
    throw Error("hidden_size must be at least 1, got " + std::to_string(hidden_size));
  if (proj_size < 0 || (proj_size > 0 && proj_size >= hidden_size))
    throw Error("proj_size must be 0 or in 1.." + std::to_string(hidden_size - 1) +
                " (below hidden_size), got " + std::to_string(proj_size));
  return {parse_cell_kind(cell), input_size, hidden_size, num_layers,
          bidirectional,         dropout,    proj_size};
}

// torch.nn.RNN / LSTM / GRU over time-major float32 arrays; rnnkit/nn.py gives it torch's
// interface (batch_first, unbatched input, hx). One call at a time per stack: it keeps the
// workspaces of its last forward.
class RecurrentStack {
 public:
  RecurrentStack(const std::string& cell, int64_t input_size, int64_t hidden_size,
                 int64_t num_layers, bool bidirectional, float dropout, int64_t proj_size)
      : rnn_(checked_options(cell, input_size, hidden_size, num_layers, bidirectional, dropout,
                             proj_size),
             kPrefix),
        dropout_rng_(random_seed()) {
    Rng init(random_seed());
    rnn_.reset_parameters(init);
  }

  // x: [T,B,In]; h0: [L*D,B,S]; c0: [L*D,B,H] (LSTM). Returns (y [T,B,D*S], hN, cN or None).
  py::tuple forward(const py::array& x, const std::optional<py::array>& h0,
                    const std::optional<py::array>& c0, bool training) {
    const Tensor input = to_tensor(x);
    const std::optional<Tensor> h = h0 ? std::optional(to_tensor(*h0)) : std::nullopt;
    const std::optional<Tensor> c = c0 ? std::optional(to_tensor(*c0)) : std::nullopt;
    const bool cell_state = has_cell_state(rnn_.options().cell);
    Tensor y, hN, cN;
    run_released(mutex_, [&] {
      rnn_.forward(input, h ? &*h : nullptr, c ? &*c : nullptr, y, &hN, cell_state ? &cN : nullptr,
                   training, &dropout_rng_);
    });
    return py::make_tuple(to_array(y), to_array(hN),
                          cell_state ? py::object(to_array(cN)) : py::object(py::none()));
  }

  // (name, array) pairs in torch's state_dict order: layer by layer, forward direction first,
  // weight_ih, weight_hh, bias_ih, bias_hh, weight_hr.
  std::vector<std::pair<std::string, FloatArray>> state_dict() {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, FloatArray>> entries;
    for (Parameter* p : rnn_.parameters()) entries.emplace_back(torch_name(*p), to_array(p->value));
    return entries;
  }

  // Strict, as torch's load_state_dict(strict=True): every name present, none extra, every shape
  // right, or nothing changes.
  void load_state_dict(const std::map<std::string, py::array>& arrays) {
    std::map<std::string, Tensor> tensors;
    for (const auto& [name, array] : arrays)
      tensors.emplace(std::string(kPrefix) + "." + name, to_tensor(array));
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, Tensor*>> expected;
    for (Parameter* p : rnn_.parameters()) expected.emplace_back(p->name, &p->value);
    try {
      load_state_dict_strict(expected, tensors);
    } catch (const Error& e) {
      // The messages name the prefixed tensors; the caller knows them without it.
      std::string message = e.what();
      for (size_t at; (at = message.find(std::string(kPrefix) + ".")) != std::string::npos;)
        message.erase(at, std::string(kPrefix).size() + 1);
      throw Error("load_state_dict: " + message);
    }
    note_weights_changed();
  }

 private:
  static std::string torch_name(const Parameter& p) {
    return p.name.substr(std::string(kPrefix).size() + 1);
  }

  RNN rnn_;
  Rng dropout_rng_;
  std::mutex mutex_;
};

}  // namespace

void bind_recurrent_stack(py::module_& m) {
  py::class_<RecurrentStack>(m, "RecurrentStack",
                             "A stack of recurrent layers over time-major float32 arrays (the "
                             "engine of rnnkit.nn.RNN/LSTM/GRU).")
      .def(py::init<const std::string&, int64_t, int64_t, int64_t, bool, float, int64_t>(),
           py::arg("cell"), py::arg("input_size"), py::arg("hidden_size"), py::arg("num_layers"),
           py::arg("bidirectional"), py::arg("dropout"), py::arg("proj_size"))
      .def("forward", &RecurrentStack::forward, py::arg("x"), py::arg("h0"), py::arg("c0"),
           py::arg("training"), "x [T,B,In] -> (y [T,B,D*S], h_n [L*D,B,S], c_n [L*D,B,H] or None)")
      .def("state_dict", &RecurrentStack::state_dict, "[(name, array)] in torch's order")
      .def("load_state_dict", &RecurrentStack::load_state_dict, py::arg("arrays"),
           "Strict load of {name: array}");
}

}  // namespace rnnkit::python
